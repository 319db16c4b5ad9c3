/**
 * The contract every `@bond/io` backend passes: one vitest suite run against the in-memory network,
 * `node:dgram`, and each native backend available on the machine.
 *
 * Real backends use loopback only (127.0.0.0/8 and ::1). Every wait is bounded; every socket a test
 * opens is closed after it, also when it fails.
 */
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { Counter } from '../counters.js';
import type { Address } from '@bond/wire';
import { createEndpoint } from '../endpoint.js';
import {
  BindError,
  IoArgumentError,
  ReceiveError,
  SendError,
  SocketClosedError,
} from '../errors.js';
import { createReceiveBatch, type ReceiveBatch } from '../receive-batch.js';
import type { BackendName, BatchSocket, IoBackend, OpenOptions } from '../socket.js';
import { waitFor } from './wait-for.js';

export interface ContractSuiteOptions {
  /** Shown in the suite's title. */
  title: string;
  /** The backend under test (called once per test). */
  backend: () => IoBackend;
  /** The name its sockets must report. */
  expectedName: BackendName;
  /** Whether IPv6 loopback works here (see {@link hasIpv6Loopback}); false skips the IPv6 tests. */
  ipv6: boolean;
  /** Whether the backend can tell a datagram was longer than its slot (Apple's batch API cannot). */
  reportsTruncation: boolean;
  /** Set to a reason to skip the whole suite (for example "addon not built"). */
  skip?: string | undefined;
}

/** Whether `::1` can be bound here. */
export async function hasIpv6Loopback(): Promise<boolean> {
  const socket = createSocket('udp6');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '::1', resolve);
    });
    return true;
  } catch {
    return false;
  } finally {
    socket.close();
  }
}

/** Lets the event loop turn `turns` times. */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

interface Received {
  bytes: Uint8Array;
  source: Address;
}

/** A receiver that copies what it gets. */
function collector() {
  const datagrams: Received[] = [];
  const batchSizes: number[] = [];
  const onBatch = (batch: ReceiveBatch, count: number) => {
    batchSizes.push(count);
    for (let i = 0; i < count; i++)
      datagrams.push({ bytes: batch.datagram(i).slice(), source: batch.source(i) });
  };
  return { datagrams, batchSizes, onBatch };
}

function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 7) & 255;
  return bytes;
}

/** Registers the contract suite with vitest. */
export function runContractSuite(options: ContractSuiteOptions): void {
  const { expectedName } = options;
  const suite = options.skip === undefined ? describe : describe.skip;
  const title =
    options.skip === undefined ? options.title : `${options.title} (skipped: ${options.skip})`;

  suite(title, () => {
    const open: BatchSocket[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((socket) => socket.close()));
    });

    async function openSocket(
      opts: Partial<OpenOptions> & { maxBatch?: number; slotSize?: number } = {},
    ): Promise<BatchSocket & { received: Received[]; batchSizes: number[] }> {
      const sink = collector();
      const { maxBatch, slotSize, ...rest } = opts;
      const socket = await options.backend().open({
        address: '127.0.0.1',
        batch: createReceiveBatch({ maxBatch: maxBatch ?? 16, slotSize: slotSize ?? 2048 }),
        onBatch: sink.onBatch,
        ...rest,
      });
      open.push(socket);
      return Object.assign(socket, { received: sink.datagrams, batchSizes: sink.batchSizes });
    }

    it('reports its backend, maxBatch, bound endpoint and counters', async () => {
      const socket = await openSocket({ maxBatch: 8 });
      expect(socket.backend).toBe(expectedName);
      expect(socket.maxBatch).toBe(8);
      expect(socket.local.ip).toBe('127.0.0.1');
      expect(socket.local.port).toBeGreaterThan(0);
      expect(socket.counters).toBeInstanceOf(Float64Array);
      expect(socket.counters[Counter.datagramsReceived]).toBe(0);
    });

    it('sends and receives one datagram with its source (IPv4)', async () => {
      const a = await openSocket();
      const b = await openSocket();
      const payload = pattern(100, 1);
      a.send(payload, b.local);
      await waitFor(() => b.received.length === 1, 'one datagram');
      const got = b.received[0];
      expect(got?.bytes).toEqual(payload);
      expect(got?.source).toEqual(a.local);
      expect(b.counters[Counter.datagramsReceived]).toBe(1);
      expect(b.counters[Counter.bytesReceived]).toBe(100);
      await waitFor(() => a.counters[Counter.datagramsSent] === 1, 'send counted');
    });

    it('sends many datagrams as one batch per turn and receives them in batches, in order', async () => {
      const a = await openSocket({ maxBatch: 64 });
      const b = await openSocket({ maxBatch: 64 });
      for (let i = 0; i < 40; i++) a.send(pattern(200 + i, i), b.local);
      expect(a.counters[Counter.sendBatches]).toBe(0); // queued, not yet sent
      await waitFor(() => b.received.length === 40, '40 datagrams');
      expect(a.counters[Counter.sendBatches]).toBe(1);
      expect(b.received.map((d) => d.bytes.length)).toEqual(
        Array.from({ length: 40 }, (_, i) => 200 + i),
      );
      expect(b.received[39]?.bytes).toEqual(pattern(239, 39));
      expect(Math.max(...b.batchSizes)).toBeGreaterThan(1);
      expect(b.batchSizes.every((size) => size <= 64)).toBe(true);
      expect(b.counters[Counter.receiveBatches]).toBe(b.batchSizes.length);
    });

    it('flush() sends the queue at once', async () => {
      const a = await openSocket();
      const b = await openSocket();
      a.send(pattern(10, 3), b.local);
      a.flush();
      expect(a.counters[Counter.sendBatches]).toBe(1);
      await waitFor(() => b.received.length === 1, 'flushed datagram');
    });

    it('delivers a burst larger than the slab in several batches, none larger than maxBatch', async () => {
      const a = await openSocket({ maxBatch: 64 });
      const b = await openSocket({ maxBatch: 8 });
      for (let i = 0; i < 50; i++) a.send(pattern(64, i), b.local);
      await waitFor(() => b.received.length === 50, '50 datagrams');
      expect(b.batchSizes.length).toBeGreaterThanOrEqual(7);
      expect(b.batchSizes.every((size) => size >= 1 && size <= 8)).toBe(true);
      expect(b.received.map((d) => d.bytes[0])).toEqual(
        Array.from({ length: 50 }, (_, i) => pattern(1, i)[0]),
      );
    });

    it('carries small and large datagrams intact', async () => {
      const sizes = [1, 1332, 9000, 65000];
      const a = await openSocket();
      const b = await openSocket({ slotSize: 65535, maxBatch: 4 });
      sizes.forEach((size, i) => {
        a.send(pattern(size, i), b.local);
      });
      await waitFor(() => b.received.length === sizes.length, 'every size');
      expect(b.received.map((d) => d.bytes.length)).toEqual(sizes);
      b.received.forEach((d, i) => {
        expect(d.bytes).toEqual(pattern(sizes[i] ?? 0, i));
      });
    });

    it.skipIf(!options.reportsTruncation)(
      'drops and counts a datagram longer than its slot (skipped where the backend cannot tell)',
      async () => {
        const a = await openSocket();
        const b = await openSocket({ slotSize: 512 });
        a.send(pattern(600, 1), b.local);
        a.send(pattern(500, 2), b.local);
        await waitFor(() => b.received.length === 1, 'the datagram that fits');
        expect(b.received[0]?.bytes).toEqual(pattern(500, 2));
        expect(b.counters[Counter.truncated]).toBe(1);
      },
    );

    it('binds to a given local address: one socket per uplink, seen as distinct sources', async () => {
      const receiver = await openSocket();
      const uplinkA = await openSocket({ address: '127.0.0.2' });
      const uplinkB = await openSocket({ address: '127.0.0.3' });
      uplinkA.send(pattern(20, 1), receiver.local);
      uplinkB.send(pattern(20, 2), receiver.local);
      await waitFor(() => receiver.received.length === 2, 'both uplinks');
      const sources = receiver.received.map((d) => d.source.ip).sort();
      expect(sources).toEqual(['127.0.0.2', '127.0.0.3']);
      // A reply to the source reaches the uplink socket it came from.
      const fromA = receiver.received.find((d) => d.source.ip === '127.0.0.2');
      if (fromA === undefined) throw new Error('no datagram from 127.0.0.2');
      receiver.send(pattern(5, 9), fromA.source);
      await waitFor(() => uplinkA.received.length === 1, 'reply to uplink A');
      expect(uplinkB.received).toHaveLength(0);
    });

    it.skipIf(!options.ipv6)('sends and receives over IPv6 (skipped: no ::1 here)', async () => {
      const a = await openSocket({ address: '::1' });
      const b = await openSocket({ address: '::1' });
      expect(b.local.family).toBe(6);
      a.send(pattern(300, 4), b.local);
      a.send(pattern(301, 5), b.local);
      await waitFor(() => b.received.length === 2, 'two IPv6 datagrams');
      expect(b.received[0]?.source).toEqual(a.local);
      expect(b.received[0]?.source.ip).toBe('::1');
      expect(b.received[1]?.bytes).toEqual(pattern(301, 5));
    });

    it.skipIf(!options.ipv6)(
      'serves IPv4 peers on a dual-stack socket, reported as IPv4 (skipped: no IPv6)',
      async () => {
        const dual = await openSocket({ address: '::' });
        const v4 = await openSocket();
        v4.send(pattern(50, 6), createEndpoint('127.0.0.1', dual.local.port));
        await waitFor(() => dual.received.length === 1, 'IPv4 datagram on dual-stack socket');
        const source = dual.received[0]?.source;
        expect(source).toEqual(v4.local);
        if (source === undefined) throw new Error('no source');
        dual.send(pattern(51, 7), source);
        await waitFor(() => v4.received.length === 1, 'reply over IPv4');
        expect(v4.received[0]?.bytes).toEqual(pattern(51, 7));
      },
    );

    it('sends through a connected socket without a destination, and hears only its peer', async () => {
      const server = await openSocket();
      const stranger = await openSocket();
      const client = await openSocket({ connect: server.local });
      expect(client.remote).toEqual(server.local);
      client.send(pattern(70, 1));
      await waitFor(() => server.received.length === 1, 'datagram from connected client');
      stranger.send(pattern(10, 2), client.local);
      server.send(pattern(71, 3), client.local);
      await waitFor(() => client.received.length >= 1, 'reply from the peer');
      await turns(5);
      expect(client.received.map((d) => d.bytes.length)).toEqual([71]);
    });

    it('applies socket buffer sizes and reports what the kernel applied', async () => {
      const small = await openSocket({ receiveBufferSize: 65536, sendBufferSize: 65536 });
      const large = await openSocket({ receiveBufferSize: 1 << 20, sendBufferSize: 1 << 20 });
      const smallSizes = small.bufferSizes();
      const largeSizes = large.bufferSizes();
      expect(smallSizes.receive).toBeGreaterThanOrEqual(65536);
      expect(smallSizes.send).toBeGreaterThanOrEqual(65536);
      expect(largeSizes.receive).toBeGreaterThan(smallSizes.receive);
      expect(largeSizes.send).toBeGreaterThan(smallSizes.send);
    });

    it('holds datagrams while paused and delivers them on resume', async () => {
      const a = await openSocket();
      const b = await openSocket();
      b.pause();
      for (let i = 0; i < 5; i++) a.send(pattern(30, i), b.local);
      await waitFor(() => a.counters[Counter.datagramsSent] === 5, 'sends counted');
      await turns(10);
      expect(b.received).toHaveLength(0);
      b.resume();
      await waitFor(() => b.received.length === 5, 'held datagrams');
    });

    it('close() sends what is queued, and nothing is delivered after it', async () => {
      const a = await openSocket();
      const b = await openSocket();
      for (let i = 0; i < 3; i++) a.send(pattern(40, i), b.local);
      await a.close();
      await waitFor(() => b.received.length === 3, 'datagrams queued before close');
      expect(() => {
        a.send(pattern(1, 1), b.local);
      }).toThrow(SocketClosedError);
      await a.close(); // idempotent
    });

    it('can be closed from inside its own receive callback during a burst', async () => {
      const a = await openSocket({ maxBatch: 64 });
      let calls = 0;
      let afterClose = 0;
      let closed = false;
      let closing: Promise<void> | undefined;
      const b = await options.backend().open({
        address: '127.0.0.1',
        batch: createReceiveBatch({ maxBatch: 4 }),
        onBatch: () => {
          if (closed) afterClose++;
          calls++;
          closed = true;
          closing = b.close();
        },
      });
      open.push(b);
      for (let i = 0; i < 40; i++) a.send(pattern(32, i), b.local);
      await waitFor(() => calls >= 1, 'first batch');
      await closing;
      await turns(10);
      expect(calls).toBe(1);
      expect(afterClose).toBe(0);
      // The port is free again.
      const again = await openSocket({ port: b.local.port });
      expect(again.local.port).toBe(b.local.port);
    });

    it('rejects a bind to an address and port already in use with BindError', async () => {
      const first = await openSocket();
      const attempt = options.backend().open({
        address: '127.0.0.1',
        port: first.local.port,
        batch: createReceiveBatch(),
        onBatch: () => undefined,
      });
      await expect(attempt).rejects.toBeInstanceOf(BindError);
      await expect(attempt).rejects.toMatchObject({
        code: 'BOND_ERR_IO_BIND',
        errno: 'EADDRINUSE',
      });
    });

    it('keeps working after sending to a loopback port nobody listens on', async () => {
      const closedPort = await openSocket();
      const port = closedPort.local.port;
      await closedPort.close();
      const a = await openSocket();
      const b = await openSocket();
      a.send(pattern(10, 1), createEndpoint('127.0.0.1', port));
      a.flush();
      await turns(5);
      a.send(pattern(11, 2), b.local);
      await waitFor(() => b.received.length === 1, 'datagram after the unreachable one');
    });

    it('reports ECONNREFUSED on a connected socket whose peer is gone, and stays usable', async () => {
      const gone = await openSocket();
      const port = gone.local.port;
      await gone.close();
      const errors: Error[] = [];
      const client = await openSocket({
        connect: createEndpoint('127.0.0.1', port),
        onError: (error) => errors.push(error),
      });
      for (let round = 0; round < 50 && errors.length === 0; round++) {
        client.send(pattern(10, round));
        await turns(2);
      }
      await waitFor(() => errors.length > 0, 'a refusal');
      const error = errors[0];
      expect(error instanceof SendError || error instanceof ReceiveError).toBe(true);
      expect(error).toMatchObject({ errno: 'ECONNREFUSED' });
      // Still usable: a new listener on that port hears the next datagram.
      const back = await openSocket({ port });
      client.send(pattern(12, 1));
      await waitFor(() => back.received.length === 1, 'datagram to the restarted peer');
    });

    it('rejects bad arguments with IoArgumentError', async () => {
      const backend = options.backend();
      const base = { batch: createReceiveBatch(), onBatch: () => undefined };
      await expect(backend.open({ ...base, address: 'not-an-address' })).rejects.toBeInstanceOf(
        IoArgumentError,
      );
      await expect(
        backend.open({ ...base, address: '127.0.0.1', port: 70000 }),
      ).rejects.toBeInstanceOf(IoArgumentError);
      await expect(
        backend.open({ address: '127.0.0.1', onBatch: () => undefined } as unknown as OpenOptions),
      ).rejects.toBeInstanceOf(IoArgumentError);
      const socket = await openSocket();
      const v6 = createEndpoint('::1', 9);
      expect(() => {
        socket.send(pattern(1, 1));
      }).toThrow(IoArgumentError);
      expect(() => {
        socket.send(pattern(1, 1), v6);
      }).toThrow(IoArgumentError);
      expect(() => {
        socket.send('text' as unknown as Uint8Array, socket.local);
      }).toThrow(IoArgumentError);
      expect(() => {
        socket.send(new Uint8Array(70000), socket.local);
      }).toThrow(IoArgumentError);
      expect(() => createEndpoint('127.0.0.1', -1)).toThrow(IoArgumentError);
      expect(socket.counters[Counter.sendErrors]).toBe(0);
    });
  });
}
