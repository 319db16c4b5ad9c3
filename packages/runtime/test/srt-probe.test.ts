// createSrtProber: repeated SRT listener probes over one kept socket, on the in-memory network (its
// ephemeral ports are never reused, so the source port of each probe tells the sockets apart).
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEndpoint,
  createMemoryNetwork,
  createReceiveBatch,
  type Address,
  type BatchSocket,
  type IoBackend,
  type MemoryNetwork,
  type OpenOptions,
} from '@bond/io';
import { SRT_HANDSHAKE_TYPE, decodeSrtHandshake, encodeSrtHandshake } from '@bond/wire';
import { createSrtProber, type SrtProber } from '../src/index.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

const LISTENER = createEndpoint('127.0.0.1', 9000);

/** An SRT listener stand-in on `network` at `at`: answers each induction with an induction. */
async function answeringListener(network: MemoryNetwork, at: Address): Promise<BatchSocket> {
  const socket: BatchSocket = await network.backend.open({
    address: at.ip,
    port: at.port,
    batch: createReceiveBatch({ maxBatch: 8 }),
    onBatch: (batch, count) => {
      for (let i = 0; i < count; i++) {
        const request = decodeSrtHandshake(batch.datagram(i));
        socket.send(encodeSrtHandshake({ ...request, version: 5, cookie: 1 }), batch.source(i));
      }
    },
  });
  cleanup.push(() => socket.close());
  return socket;
}

/** The source ports of the probes `network` carried to `to` since it started recording. */
function probePorts(network: MemoryNetwork, to: Address): number[] {
  return network.recorded.filter((d) => d.to.equals(to)).map((d) => d.from.port);
}

function prober(network: MemoryNetwork, timeoutMs = 200): SrtProber {
  const made = createSrtProber({ io: network.backend, timeoutMs });
  cleanup.push(() => made.close());
  return made;
}

describe('createSrtProber', () => {
  it('probes again and again over one socket, and says refused while nothing listens', async () => {
    const network = createMemoryNetwork();
    network.record(true);
    const listener = await answeringListener(network, LISTENER);
    const probe = prober(network);
    for (let i = 0; i < 3; i++) {
      const result = await probe.probe(LISTENER);
      expect(result).toMatchObject({
        answered: true,
        handshakeType: SRT_HANDSHAKE_TYPE.INDUCTION,
      });
      expect(result.rttMs).toBeGreaterThanOrEqual(0);
    }
    // The listener goes: probes are not answered, and the refusal (ECONNREFUSED, reported on the
    // kept socket like the kernel does on a connected one) is named.
    await listener.close();
    const down = [];
    for (let i = 0; i < 4; i++) down.push(await probe.probe(LISTENER));
    expect(down.every((result) => !result.answered)).toBe(true);
    expect(down.some((result) => result.detail.startsWith('refused'))).toBe(true);
    // It comes back: answered again within two probes, still over the same socket.
    await answeringListener(network, LISTENER);
    const back = [await probe.probe(LISTENER), await probe.probe(LISTENER)];
    expect(back.some((result) => result.answered)).toBe(true);
    const ports = new Set(probePorts(network, LISTENER));
    expect(ports.size).toBe(1);
    // One socket for the prober, one for the listener.
    expect(network.openSockets).toBe(2);
  });

  it('opens a new socket for a new listener address, and closes it on close', async () => {
    const network = createMemoryNetwork();
    network.record(true);
    const other = createEndpoint('127.0.0.1', 9001);
    await answeringListener(network, LISTENER);
    await answeringListener(network, other);
    const probe = prober(network);
    expect((await probe.probe(LISTENER)).answered).toBe(true);
    expect((await probe.probe(other)).answered).toBe(true);
    expect((await probe.probe(other)).answered).toBe(true);
    const [first] = probePorts(network, LISTENER);
    const second = new Set(probePorts(network, other));
    expect(second.size).toBe(1);
    expect(second.has(first ?? -1)).toBe(false);
    expect(network.openSockets).toBe(3);
    await probe.close();
    expect(network.openSockets).toBe(2);
    expect(await probe.probe(other)).toEqual({ answered: false, detail: 'probe stopped' });
    expect(network.openSockets).toBe(2);
  });

  it('ends a probe in flight on close', async () => {
    const network = createMemoryNetwork();
    const probe = prober(network, 60_000);
    // Nothing is bound there and the socket is fresh: no refusal yet, the probe waits.
    const pending = probe.probe(LISTENER);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await probe.close();
    expect(await pending).toEqual({ answered: false, detail: 'probe stopped' });
    expect(network.openSockets).toBe(0);
  });

  it('opens a new socket after a socket error, but keeps it after a refusal', async () => {
    const network = createMemoryNetwork();
    network.record(true);
    await answeringListener(network, LISTENER);
    // The backend hands out the memory network's sockets and keeps each one's error callback.
    type OnError = NonNullable<OpenOptions['onError']>;
    const errorHandlers: OnError[] = [];
    const backend: IoBackend = {
      name: network.backend.name,
      open: (options: OpenOptions) => {
        errorHandlers.push((error) => options.onError?.(error));
        return network.backend.open(options);
      },
    };
    const socketError = (errno: string) =>
      Object.assign(new Error(errno), { errno }) as unknown as Parameters<OnError>[0];
    const probe = createSrtProber({ io: backend, timeoutMs: 200 });
    cleanup.push(() => probe.close());
    expect((await probe.probe(LISTENER)).answered).toBe(true);
    // A refusal between probes: the connected socket stays usable, and is kept.
    errorHandlers[0]?.(socketError('ECONNREFUSED'));
    expect((await probe.probe(LISTENER)).answered).toBe(true);
    expect(errorHandlers).toHaveLength(1);
    // Any other error: the next probe goes out over a new socket, from another port.
    errorHandlers[0]?.(socketError('EIO'));
    expect((await probe.probe(LISTENER)).answered).toBe(true);
    expect(errorHandlers).toHaveLength(2);
    const ports = probePorts(network, LISTENER);
    expect(new Set(ports).size).toBe(2);
    expect(ports[0]).toBe(ports[1]);
    expect(ports[2]).not.toBe(ports[0]);
    // The first socket was closed when it was replaced: the prober's and the listener's are open.
    expect(network.openSockets).toBe(2);
  });

  it('runs probes one after another', async () => {
    const network = createMemoryNetwork();
    network.record(true);
    await answeringListener(network, LISTENER);
    const probe = prober(network);
    const results = await Promise.all([probe.probe(LISTENER), probe.probe(LISTENER)]);
    expect(results.map((result) => result.answered)).toEqual([true, true]);
    expect(new Set(probePorts(network, LISTENER)).size).toBe(1);
  });
});
