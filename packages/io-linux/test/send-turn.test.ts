// The native socket's send turn: what a receive callback queues, on any socket, goes out when the
// callback returns (one sendmmsg per socket per wake-up, no microtask per datagram); what is
// queued outside a receive callback goes out when the JavaScript job ends.
import { existsSync } from 'node:fs';
import { Counter, createReceiveBatch, type BatchSocket, type IoBackend } from '@bond/io';
import { waitFor } from '@bond/io/testing';
import { defaultAddonPath, loadLinuxBackend } from '@bond/io-linux';
import { afterEach, describe, expect, it } from 'vitest';

const status = loadLinuxBackend(defaultAddonPath());
const skip =
  process.platform !== 'linux' || !existsSync(defaultAddonPath()) || status.backend === undefined;
const linuxBackend = (): IoBackend => {
  if (status.backend === undefined) throw status.loadError ?? new Error('no linux-mmsg backend');
  return status.backend;
};

describe.skipIf(skip)('linux-mmsg backend: send turns', () => {
  const sockets: BatchSocket[] = [];
  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((socket) => socket.close()));
  });
  const open = async (
    backend: IoBackend,
    onBatch: (count: number) => void = () => undefined,
    connect?: BatchSocket,
  ): Promise<BatchSocket> => {
    const socket = await backend.open({
      address: '127.0.0.1',
      port: 0,
      batch: createReceiveBatch({ maxBatch: 8, slotSize: 2048 }),
      onBatch: (_batch, count) => {
        onBatch(count);
      },
      ...(connect === undefined ? {} : { connect: connect.local }),
    });
    sockets.push(socket);
    return socket;
  };
  const sent = (socket: BatchSocket): number => socket.counters[Counter.datagramsSent] ?? 0;

  it('sends what a receive callback queued on other sockets when the callback returns, before its microtasks run', async () => {
    const backend = linuxBackend();
    let arrived = 0;
    const sink = await open(backend, (count) => (arrived += count));
    const first = await open(backend, undefined, sink);
    const second = await open(backend, undefined, sink);
    const seenByMicrotask: number[] = [];
    const seenInCallback: number[] = [];
    const relay = await open(backend, (count) => {
      // Queued before the sends: with a microtask per socket it would run before they go out.
      queueMicrotask(() => seenByMicrotask.push(sent(first) + sent(second)));
      for (let i = 0; i < count; i++) {
        first.send(new Uint8Array([1, i]));
        second.send(new Uint8Array([2, i]));
      }
      seenInCallback.push(sent(first) + sent(second)); // still queued while the callback runs
    });
    const feeder = await open(backend, undefined, relay);
    feeder.send(new Uint8Array([0]));
    await waitFor(() => arrived >= 2, 'the relayed datagrams', 2000);
    expect(seenInCallback).toEqual([0]);
    expect(seenByMicrotask).toEqual([2]);
    expect(arrived).toBe(2);
  });

  it('sends what is queued outside a receive callback when the job ends, in one call per socket', async () => {
    const backend = linuxBackend();
    let arrived = 0;
    const sink = await open(backend, (count) => (arrived += count));
    const socket = await open(backend, undefined, sink);
    for (let i = 0; i < 5; i++) socket.send(new Uint8Array([i]));
    expect(sent(socket)).toBe(0);
    await Promise.resolve();
    expect(sent(socket)).toBe(5);
    expect(socket.counters[Counter.sendCalls]).toBe(1);
    await waitFor(() => arrived === 5, 'the five datagrams', 2000);
  });
});
