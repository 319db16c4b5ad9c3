// The built-in SRT-like pair: repairs loss through NAKs within the latency, delivers in order,
// answers a listener probe, and gives up on a gap after the latency as SRT's too-late drop does.
import { boundUdpSocket, waitFor } from '@bond/io/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SRT_HANDSHAKE_TYPE,
  decodeSrtHandshake,
  encodeSrtInductionProbe,
  isSrtData,
  peekSrtDataSeq,
} from '@bond/wire';
import { BuiltinSink, BuiltinSource, readStamp, stampedPayload } from '../src/index.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A UDP socket on 127.0.0.1, closed after the test. */
const udp = () => boundUdpSocket((close) => closers.push(close));

/** A relay between source and sink that drops the data packets `drop` picks (first sends only). */
async function lossyRelay(
  sinkPort: number,
  drop: (seq: number, retransmitted: boolean) => boolean,
): Promise<{ port: number; dropped: number[] }> {
  const front = await udp();
  const back = await udp();
  const dropped: number[] = [];
  let source: { port: number; address: string } | undefined;
  front.on('message', (message, from) => {
    source = from;
    if (isSrtData(message)) {
      const seq = peekSrtDataSeq(message);
      if (drop(seq, ((message[4] ?? 0) & 0x04) !== 0)) {
        dropped.push(seq);
        return;
      }
    }
    back.send(message, sinkPort, '127.0.0.1');
  });
  back.on('message', (message) => {
    if (source !== undefined) front.send(message, source.port, source.address);
  });
  return { port: front.address().port, dropped };
}

describe('built-in SRT-like source and sink', () => {
  it('repairs every lost packet through NAKs and delivers in order', async () => {
    const delivered: number[] = [];
    const sink = await BuiltinSink.open(0, 1000, (payload) => {
      delivered.push(readStamp(payload)?.number ?? -1);
    });
    closers.push(() => sink.close());
    // Every 7th packet is lost on its first send; retransmissions get through.
    const relay = await lossyRelay(
      sink.port,
      (seq, retransmitted) => !retransmitted && seq % 7 === 0,
    );
    const source = await BuiltinSource.open(relay.port, 1000);
    closers.push(() => source.close());
    for (let n = 0; n < 300; n++) {
      source.send(stampedPayload(n, performance.now()));
      if (n % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await waitFor(() => delivered.length === 300, 'all 300 payloads', {
      timeoutMs: 5000,
      intervalMs: 10,
    });
    expect(delivered).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(relay.dropped.length).toBeGreaterThanOrEqual(40);
    expect(source.stats().packetsRetransmitted).toBeGreaterThanOrEqual(relay.dropped.length);
    expect(sink.stats()).toMatchObject({ packetsDelivered: 300, packetsDropped: 0 });
    expect(sink.stats().packetsRetransmitted).toBeGreaterThanOrEqual(relay.dropped.length);
  });

  it('gives up on a gap that is never filled after the latency and goes on', async () => {
    const delivered: number[] = [];
    const sink = await BuiltinSink.open(0, 150, (payload) => {
      delivered.push(readStamp(payload)?.number ?? -1);
    });
    closers.push(() => sink.close());
    // Sequence 5 (payload 4: the source starts at 1) never arrives, retransmitted or not.
    const relay = await lossyRelay(sink.port, (seq) => seq === 5);
    const source = await BuiltinSource.open(relay.port, 150);
    closers.push(() => source.close());
    for (let n = 0; n < 20; n++) source.send(stampedPayload(n, performance.now()));
    await waitFor(() => delivered.length === 19, '19 payloads', {
      timeoutMs: 5000,
      intervalMs: 10,
    });
    expect(delivered).toEqual(Array.from({ length: 20 }, (_, i) => i).filter((n) => n !== 4));
    expect(sink.stats().packetsDropped).toBe(1);
  });

  it('answers an induction handshake, as the receiver listener probe expects', async () => {
    const sink = await BuiltinSink.open(0, 500, () => undefined);
    closers.push(() => sink.close());
    const probe = await udp();
    const reply = new Promise<Buffer>((resolve) => probe.once('message', resolve));
    probe.send(encodeSrtInductionProbe(), sink.port, '127.0.0.1');
    const handshake = decodeSrtHandshake(await reply);
    expect(handshake.handshakeType).toBe(SRT_HANDSHAKE_TYPE.INDUCTION);
    expect(handshake.version).toBe(5);
    expect(sink.stats().handshakesAnswered).toBe(1);
  });
});
