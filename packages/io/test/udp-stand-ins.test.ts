import { afterEach, describe, expect, it } from 'vitest';
import { SRT_HEADER_LENGTH, decodeSrtDataHeader } from '@bond/wire';
import { boundUdpSocket, feedSrtData, waitFor } from '../src/testing/index.js';

const stops: (() => Promise<void>)[] = [];
const defer = (stop: () => Promise<void>) => {
  stops.push(stop);
};
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

describe('boundUdpSocket', () => {
  it('binds on loopback, hands each datagram and its sender to onMessage, and closes through defer', async () => {
    const received: { text: string; from: number }[] = [];
    const sink = await boundUdpSocket(defer, (message, from) => {
      received.push({ text: message.toString(), from: from.port });
    });
    expect(sink.address().address).toBe('127.0.0.1');
    const caller = await boundUdpSocket(defer);
    caller.send('hello', sink.address().port, '127.0.0.1');
    await waitFor(() => received.length === 1, 'one datagram at the sink');
    expect(received).toEqual([{ text: 'hello', from: caller.address().port }]);

    expect(stops).toHaveLength(2);
    for (const stop of stops.splice(0).reverse()) await stop();
    // Closed: a closed dgram socket has no address.
    expect(() => sink.address()).toThrow();
    expect(() => caller.address()).toThrow();
  });

  it('rejects with the bind error for an address that is not local', async () => {
    await expect(boundUdpSocket(defer, undefined, '192.0.2.1')).rejects.toThrow(/EADDRNOTAVAIL/);
  });
});

describe('feedSrtData', () => {
  it('sends numbered SRT data packets in order to the port, pauses, resumes and stops', async () => {
    const packets: { seq: number; socketId: number; bytes: number; message: number }[] = [];
    const sink = await boundUdpSocket(defer, (message) => {
      const header = decodeSrtDataHeader(message);
      packets.push({
        seq: header.seq,
        socketId: header.destinationSocketId,
        bytes: message.length - SRT_HEADER_LENGTH,
        message: header.messageNumber,
      });
    });
    const feed = await feedSrtData(defer, {
      port: sink.address().port,
      payloadBytes: 100,
      destinationSocketId: 42,
      paused: true,
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(feed.sent()).toBe(0);
    feed.resume();
    await waitFor(
      () => packets.length >= 10,
      () => `10 packets, got ${packets.length}`,
    );
    feed.pause();
    const atPause = feed.sent();
    await waitFor(() => packets.length === atPause, `the ${atPause} packets sent before the pause`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(feed.sent()).toBe(atPause);
    expect(packets.map((packet) => packet.seq)).toEqual(
      Array.from({ length: atPause }, (_, i) => i),
    );
    expect(packets.every((packet) => packet.socketId === 42 && packet.bytes === 100)).toBe(true);
    expect(packets.every((packet) => packet.message === packet.seq + 1)).toBe(true);

    feed.resume();
    await waitFor(() => feed.sent() > atPause, 'sending again after resume');
    await feed.stop();
    const atStop = feed.sent();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(feed.sent()).toBe(atStop);
    await feed.stop(); // a second stop (the deferred one) is harmless
  });
});
