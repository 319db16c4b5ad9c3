// The in-memory network's own controls: impairments, recording, queue limits.
import {
  createEndpoint,
  createMemoryNetwork,
  createReceiveBatch,
  type BatchSocket,
  type MemoryNetwork,
} from '@bond/io';
import { waitFor } from '@bond/io/testing';
import { afterEach, describe, expect, it } from 'vitest';

const open: BatchSocket[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((socket) => socket.close()));
});

async function pair(network: MemoryNetwork, receiveBufferSize?: number) {
  const received: number[] = [];
  const a = await network.backend.open({
    address: '127.0.0.1',
    batch: createReceiveBatch(),
    onBatch: () => undefined,
  });
  const b = await network.backend.open({
    address: '127.0.0.2',
    batch: createReceiveBatch(),
    onBatch: (batch, count) => {
      for (let i = 0; i < count; i++) received.push(batch.slab[batch.offset(i)] ?? -1);
    },
    ...(receiveBufferSize === undefined ? {} : { receiveBufferSize }),
  });
  open.push(a, b);
  return { a, b, received };
}

async function turns(count: number) {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('memory network', () => {
  it('records every datagram with its endpoints and fate', async () => {
    const network = createMemoryNetwork();
    const { a, b, received } = await pair(network);
    network.record(true);
    a.send(Uint8Array.of(1), b.local);
    a.send(Uint8Array.of(2), createEndpoint('127.0.0.9', 9));
    await waitFor(() => received.length === 1, 'delivery');
    expect(network.recorded.map((d) => [d.from.ip, d.to.ip, d.bytes[0], d.dropped])).toEqual([
      ['127.0.0.1', '127.0.0.2', 1, undefined],
      ['127.0.0.1', '127.0.0.9', 2, 'no-socket'],
    ]);
  });

  it('loses, duplicates and black-holes datagrams per destination address', async () => {
    const network = createMemoryNetwork({ seed: 7 });
    const { a, b, received } = await pair(network);
    network.impair({ duplicate: 1 }, '127.0.0.2');
    a.send(Uint8Array.of(5), b.local);
    await waitFor(() => received.length === 2, 'the duplicate');
    network.impair({ down: true }, '127.0.0.2');
    network.record(true);
    for (let i = 0; i < 5; i++) a.send(Uint8Array.of(i), b.local);
    await turns(5);
    expect(received).toEqual([5, 5]);
    expect(network.recorded.every((d) => d.dropped === 'down')).toBe(true);
    network.impair({ loss: 0.5 }, '127.0.0.2');
    for (let i = 0; i < 200; i++) a.send(Uint8Array.of(i), b.local);
    await turns(20);
    const lost = network.recorded.filter((d) => d.dropped === 'loss').length;
    expect(lost).toBeGreaterThan(50);
    expect(lost).toBeLessThan(150);
    expect(received.length - 2).toBe(200 - lost);
  });

  it('replays the same losses from the same seed', async () => {
    const outcome = async (seed: number) => {
      const network = createMemoryNetwork({ seed });
      const { a, b } = await pair(network);
      network.impair({ loss: 0.3 });
      network.record(true);
      for (let i = 0; i < 50; i++) a.send(Uint8Array.of(i), b.local);
      a.flush();
      return network.recorded.map((d) => d.dropped ?? '');
    };
    expect(await outcome(3)).toEqual(await outcome(3));
    expect(await outcome(3)).not.toEqual(await outcome(4));
  });

  it('delays delivery and drops what overflows a paused socket’s receive queue', async () => {
    const network = createMemoryNetwork();
    const { a, b, received } = await pair(network, 1000);
    b.pause();
    network.record(true);
    for (let i = 0; i < 20; i++) a.send(new Uint8Array(100).fill(i), b.local);
    a.flush();
    expect(network.recorded.filter((d) => d.dropped === 'queue-full')).toHaveLength(10);
    b.resume();
    await waitFor(() => received.length === 10, 'the queued ten');
    network.impair({ delayMs: 20 });
    a.send(Uint8Array.of(42), b.local);
    await turns(3);
    expect(received).toHaveLength(10);
    await waitFor(() => received.length === 11, 'the delayed datagram');
  });

  it('counts open sockets, so tests can check they closed them', async () => {
    const network = createMemoryNetwork();
    const { a, b } = await pair(network);
    expect(network.openSockets).toBe(2);
    await a.close();
    await b.close();
    expect(network.openSockets).toBe(0);
  });
});
