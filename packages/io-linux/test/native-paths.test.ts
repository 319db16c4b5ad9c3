// What the contract cannot see from outside: batching into few system calls, and UDP GSO; for the
// source build and for this architecture's prebuild.
import { existsSync } from 'node:fs';
import { Counter, createReceiveBatch, type BatchSocket, type ReceiveBatch } from '@bond/io';
import { waitFor } from '@bond/io/testing';
import {
  defaultAddonPath,
  loadLinuxBackend,
  loadNativeBackend,
  prebuildAddonPath,
  type LinuxBackendStatus,
} from '@bond/io-linux';
import { afterEach, describe, expect, it, vi } from 'vitest';

const open: BatchSocket[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((socket) => socket.close()));
});

async function openOn(
  from: LinuxBackendStatus,
  onBatch: (batch: ReceiveBatch, count: number) => void = () => undefined,
  receiveBufferSize = 1 << 20,
  sendQueueBytes?: number,
) {
  const backend = from.backend;
  if (backend === undefined) throw from.loadError ?? new Error('no backend');
  const socket = await backend.open({
    address: '127.0.0.1',
    batch: createReceiveBatch({ maxBatch: 256, slotSize: 2048 }),
    onBatch,
    receiveBufferSize,
    ...(sendQueueBytes === undefined ? {} : { sendQueueBytes }),
  });
  open.push(socket);
  return socket;
}

const builds = [
  { name: 'source build', path: defaultAddonPath() },
  { name: `linux-${process.arch} prebuild`, path: prebuildAddonPath() },
];

for (const build of builds) {
  const status = loadLinuxBackend(build.path);
  const plainStatus = loadLinuxBackend(build.path, { gso: false });
  const built = process.platform === 'linux' && existsSync(build.path);
  const openSocket = (
    onBatch?: (batch: ReceiveBatch, count: number) => void,
    receiveBufferSize?: number,
    sendQueueBytes?: number,
    from: LinuxBackendStatus = status,
  ) => openOn(from, onBatch, receiveBufferSize, sendQueueBytes);

  const title = `linux-mmsg system-call batching and GSO, ${build.name}`;
  describe.skipIf(!built)(built ? title : `${title} (skipped: not built)`, () => {
    it('sends 200 mixed-size datagrams in one sendmmsg and receives them in few recvmmsg calls', async () => {
      const lengths: number[] = [];
      const receiver = await openSocket((batch, count) => {
        for (let i = 0; i < count; i++) lengths.push(batch.length(i));
      });
      const sender = await openSocket();
      for (let i = 0; i < 200; i++) sender.send(new Uint8Array(100 + (i % 7)), receiver.local);
      sender.flush();
      expect(sender.counters[Counter.sendCalls]).toBe(1);
      expect(sender.counters[Counter.datagramsSent]).toBe(200);
      await waitFor(() => lengths.length === 200, '200 datagrams');
      expect(receiver.counters[Counter.receiveCalls]).toBeLessThan(20);
      expect(lengths).toEqual(Array.from({ length: 200 }, (_, i) => 100 + (i % 7)));
    });

    it('sends a run of equal-size datagrams to one destination as GSO, received as separate datagrams', async () => {
      const received: number[] = [];
      const receiver = await openSocket((batch, count) => {
        for (let i = 0; i < count; i++) received.push(batch.slab[batch.offset(i)] ?? -1);
      });
      const sender = await openSocket();
      for (let i = 0; i < 100; i++) sender.send(new Uint8Array(1332).fill(i), receiver.local);
      sender.flush();
      await waitFor(() => received.length === 100, `100 datagrams (got ${received.length})`);
      expect(received).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(receiver.counters[Counter.bytesReceived]).toBe(133200);
      // Loopback supports UDP_SEGMENT on every kernel bond supports (>= 4.18).
      expect(sender.counters[Counter.gsoDatagrams]).toBe(100);
      expect(sender.counters[Counter.sendCalls]).toBe(1);
    });

    it('sends a run as GSO also when the datagrams of another socket sit between its rows in the shared arena', async () => {
      // A receiver's datagrams to its SRT listener alternate in the arena with its SRTLA ACKs to
      // senders (another socket): the run is one GSO message of one iovec per datagram.
      const received: number[] = [];
      const receiver = await openSocket((batch, count) => {
        for (let i = 0; i < count; i++) {
          const offset = batch.offset(i);
          const first = batch.slab[offset] ?? -1;
          const last = batch.slab[offset + batch.length(i) - 1] ?? -2;
          received.push(first === last ? first : -1);
        }
      });
      const acks: number[] = [];
      const ackReceiver = await openSocket((batch, count) => {
        for (let i = 0; i < count; i++) acks.push(batch.slab[batch.offset(i)] ?? -1);
      });
      const upstream = await openSocket();
      const listen = await openSocket();
      for (let i = 0; i < 40; i++) {
        upstream.send(new Uint8Array(1332).fill(i), receiver.local);
        listen.send(new Uint8Array(44).fill(i), ackReceiver.local);
      }
      upstream.flush();
      listen.flush();
      await waitFor(() => received.length === 40, `40 datagrams (got ${received.length})`);
      await waitFor(() => acks.length === 40, `40 ACKs (got ${acks.length})`);
      expect(received).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(acks).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(upstream.counters[Counter.gsoDatagrams]).toBe(40);
      expect(upstream.counters[Counter.sendCalls]).toBe(1);
      expect(upstream.counters[Counter.datagramsSent]).toBe(40);
      expect(upstream.counters[Counter.bytesSent]).toBe(40 * 1332);
      // The other socket's run, in the rows between, is one GSO message of its own.
      expect(listen.counters[Counter.gsoDatagrams]).toBe(40);
      expect(listen.counters[Counter.bytesSent]).toBe(40 * 44);
    });

    it('with a 64 KiB send queue, sends what does not fit in more calls, losing nothing', async () => {
      const received: number[] = [];
      const receiver = await openSocket((batch, count) => {
        for (let i = 0; i < count; i++) received.push(batch.slab[batch.offset(i)] ?? -1);
      });
      const sender = await openSocket(undefined, 1 << 20, 65536);
      // 120 x 1332 bytes = 156 KiB: three slabs' worth.
      for (let i = 0; i < 120; i++) sender.send(new Uint8Array(1332).fill(i), receiver.local);
      sender.flush();
      await waitFor(() => received.length === 120, `120 datagrams (got ${received.length})`);
      expect(received).toEqual(Array.from({ length: 120 }, (_, i) => i));
      expect(sender.counters[Counter.sendCalls]).toBe(3);
      await expect(openSocket(undefined, 1 << 20, 4096)).rejects.toThrow(
        /sendQueueBytes must be an integer from 65536/,
      );
    });

    it('sockets of different batch sizes share the scratch: a small one opened first still receives and sends after a larger one grows it', async () => {
      const backend = status.backend;
      if (backend === undefined) throw status.loadError ?? new Error('no backend');
      const got: { from: string; bytes: number[] }[] = [];
      const record = (from: string) => (batch: ReceiveBatch, count: number) => {
        for (let i = 0; i < count; i++) {
          const offset = batch.offset(i);
          got.push({ from, bytes: [...batch.slab.subarray(offset, offset + batch.length(i))] });
        }
      };
      const openWith = async (maxBatch: number, from: string) => {
        const socket = await backend.open({
          address: '127.0.0.1',
          batch: createReceiveBatch({ maxBatch, slotSize: 2048 }),
          // 300 datagrams at once: more than a default buffer's worth of tiny skbs.
          receiveBufferSize: 1 << 20,
          onBatch: record(from),
        });
        open.push(socket);
        return socket;
      };
      const sequence = (from: string) =>
        got.filter((each) => each.from === from).map(({ bytes }) => bytes);
      const small = await openWith(4, 'small');
      const large = await openWith(512, 'large');
      // Each sends 300 datagrams to the other: the small one in batches of 4 rows.
      for (let i = 0; i < 300; i++) {
        small.send(new Uint8Array([1, i & 255, i >> 8]), large.local);
        large.send(new Uint8Array([2, i & 255, i >> 8]), small.local);
      }
      small.flush();
      large.flush();
      await waitFor(
        () => got.length === 600,
        () => `600 datagrams (got ${got.length})`,
      );
      expect(sequence('large')).toEqual(
        Array.from({ length: 300 }, (_, i) => [1, i & 255, i >> 8]),
      );
      expect(sequence('small')).toEqual(
        Array.from({ length: 300 }, (_, i) => [2, i & 255, i >> 8]),
      );
    });

    it('sockets share one send arena: more than it holds, queued by 48 sockets in one turn, arrives intact and in order per socket', async () => {
      const bySender = new Map<number, number[]>();
      let intact = true;
      const receiver = await openSocket((batch, count) => {
        for (let i = 0; i < count; i++) {
          const offset = batch.offset(i);
          const from = batch.slab[offset] ?? -1;
          const index = batch.slab[offset + 1] ?? -1;
          // Every byte after the two-byte header repeats the sender's index.
          for (let at = 2; at < batch.length(i); at++) {
            if (batch.slab[offset + at] !== from) intact = false;
          }
          const seen = bySender.get(from) ?? [];
          seen.push(index);
          bySender.set(from, seen);
        }
      }, 8 << 20);
      const senders = [];
      for (let k = 0; k < 48; k++) senders.push(await openSocket(undefined, 1 << 20, 65536));
      // 48 x 20 x 1332 bytes = 1.22 MiB, more than the 1 MiB arena: it flushes every socket
      // holding bytes once, mid-turn, and starts again.
      for (let i = 0; i < 20; i++) {
        senders.forEach((sender, k) => {
          const datagram = new Uint8Array(1332).fill(k);
          datagram[1] = i;
          sender.send(datagram, receiver.local);
        });
      }
      for (const sender of senders) sender.flush();
      await waitFor(
        () => [...bySender.values()].reduce((sum, each) => sum + each.length, 0) === 960,
        '960 datagrams',
      );
      expect(intact).toBe(true);
      for (let k = 0; k < 48; k++) {
        expect(bySender.get(k)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      }
    });

    it('with GSO off, sends the same run as 100 plain messages in one sendmmsg, losing nothing', async () => {
      const received: number[] = [];
      const receiver = await openSocket((batch, count) => {
        for (let i = 0; i < count; i++) received.push(batch.slab[batch.offset(i)] ?? -1);
      });
      const sender = await openSocket(undefined, 1 << 20, undefined, plainStatus);
      for (let i = 0; i < 100; i++) sender.send(new Uint8Array(1332).fill(i), receiver.local);
      sender.flush();
      await waitFor(() => received.length === 100, `100 datagrams (got ${received.length})`);
      expect(received).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(receiver.counters[Counter.bytesReceived]).toBe(133200);
      expect(sender.counters[Counter.gsoDatagrams]).toBe(0);
      expect(sender.counters[Counter.datagramsSent]).toBe(100);
      expect(sender.counters[Counter.bytesSent]).toBe(133200);
      expect(sender.counters[Counter.sendCalls]).toBe(1);
    });
  });
}

const anyBuilt = process.platform === 'linux' && builds.some((build) => existsSync(build.path));
describe.skipIf(!anyBuilt)('loadNativeBackend', () => {
  it('BOND_IO_GSO=off turns GSO off for the backend loadNativeBackend() returns', async () => {
    // loadNativeBackend() reads the variable at its first call, and nothing else in this file
    // calls it.
    vi.stubEnv('BOND_IO_GSO', 'off');
    try {
      const off = loadNativeBackend();
      const received: number[] = [];
      const receiver = await openOn(off, (batch, count) => {
        for (let i = 0; i < count; i++) received.push(batch.slab[batch.offset(i)] ?? -1);
      });
      const sender = await openOn(off);
      for (let i = 0; i < 10; i++) sender.send(new Uint8Array(1000).fill(i), receiver.local);
      sender.flush();
      await waitFor(() => received.length === 10, `10 datagrams (got ${received.length})`);
      expect(received).toEqual(Array.from({ length: 10 }, (_, i) => i));
      expect(sender.counters[Counter.gsoDatagrams]).toBe(0);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
