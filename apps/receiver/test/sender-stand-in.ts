// A minimal bond sender for tests: core's SenderEngine driven by loopback sockets (one per link,
// bound to 127.0.0.x) and a local UDP port the SRT caller sends to. It counts what it sent over
// the links so tests can compare with the receiver's stats. Every socket closes in `close()`.
import { ENCODER, SenderEngine, createSeededRandom, type SenderEvent } from '@bond/core';
import {
  createEndpoint,
  createReceiveBatch,
  dgramBackend,
  type BatchSocket,
  type Address,
} from '@bond/io';
import { DatagramKind, classifyDatagram, peekSrtDataSeq, peekSrtRetransmitted } from '@bond/wire';

export interface SenderStandIn {
  /** The port the SRT caller sends to. */
  readonly encoderPort: number;
  readonly engine: SenderEngine;
  /** SRT datagrams (data and control) sent over the links, and data packets among them. */
  readonly sent: { srt: number; data: number };
  /** Data packets `dropFirstCopy` dropped. */
  readonly dropped: () => number;
  linksUp(): number;
  close(): Promise<void>;
}

export async function startSenderStandIn(options: {
  receiver: Address;
  linkAddresses: readonly string[];
  linkTimeoutMs?: number;
  /** Told the kind of each datagram a link receives (e.g. REG3), with the engine time, ms. */
  onLinkDatagram?: (linkId: number, kind: DatagramKind, now: number) => void;
  /** Told each engine event (registration, links up and down) with the engine time, ms. */
  onEvent?: (event: SenderEvent, now: number) => void;
  /** Drops the first copy (not a retransmission) of the data packets it picks: loss for SRT to repair. */
  dropFirstCopy?: (seq: number) => boolean;
}): Promise<SenderStandIn> {
  const engine = new SenderEngine({
    random: createSeededRandom(42),
    ...(options.linkTimeoutMs === undefined ? {} : { linkTimeoutMs: options.linkTimeoutMs }),
  });
  const batch = createReceiveBatch({ maxBatch: 64 });
  const sockets = new Map<number, BatchSocket>();
  const sent = { srt: 0, data: 0 };
  let dropped = 0;
  let encoderPeer: Address | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const now = () => performance.now();

  const drain = () => {
    if (closed) return;
    for (let t = engine.pollTransmit(); t !== undefined; t = engine.pollTransmit()) {
      if (t.linkId === ENCODER) {
        if (encoderPeer !== undefined) encoder.send(t.bytes, encoderPeer);
        continue;
      }
      const kind = classifyDatagram(t.bytes);
      if (
        kind === DatagramKind.SrtData &&
        options.dropFirstCopy?.(peekSrtDataSeq(t.bytes)) === true &&
        !peekSrtRetransmitted(t.bytes)
      ) {
        dropped++;
        continue;
      }
      if (kind === DatagramKind.SrtData || kind === DatagramKind.SrtControl) sent.srt++;
      if (kind === DatagramKind.SrtData) sent.data++;
      sockets.get(t.linkId)?.send(t.bytes, options.receiver);
    }
    for (let event = engine.pollEvent(); event !== undefined; event = engine.pollEvent()) {
      options.onEvent?.(event, now());
    }
    if (timer !== undefined) clearTimeout(timer);
    const due = engine.pollTimeout();
    timer =
      due === undefined
        ? undefined
        : setTimeout(
            () => {
              engine.handleTimeout(now());
              drain();
            },
            Math.max(0, Math.ceil(due - now())),
          );
  };

  const encoder = await dgramBackend.open({
    address: '127.0.0.1',
    batch,
    onBatch: (received, count) => {
      for (let i = 0; i < count; i++) {
        encoderPeer ??= received.source(i);
        engine.handleEncoderDatagram(now(), received.datagram(i));
      }
      drain();
    },
  });
  for (const [index, address] of options.linkAddresses.entries()) {
    const id = index + 1;
    const socket = await dgramBackend.open({
      address,
      batch,
      onBatch: (received, count) => {
        for (let i = 0; i < count; i++) {
          const bytes = received.datagram(i);
          options.onLinkDatagram?.(id, classifyDatagram(bytes), now());
          engine.handleLinkDatagram(now(), id, bytes);
        }
        drain();
      },
    });
    sockets.set(id, socket);
    engine.addLink(now(), { id, name: `link${id}` });
  }
  engine.handleTimeout(now());
  drain();

  return {
    encoderPort: encoder.local.port,
    engine,
    sent,
    dropped: () => dropped,
    linksUp: () => engine.stats(now()).linksUp,
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      await encoder.close();
      for (const socket of sockets.values()) await socket.close();
    },
  };
}

export { createEndpoint, type SenderEvent };
