// IpcCoordinator over a message channel to the primary's MemoryCluster (bond-receiver --workers).
// The channel here copies each message (structuredClone), as the IPC channel serialises it.
import { describe, expect, it } from 'vitest';
import { waitFor } from '@bond/io/testing';
import {
  IpcCoordinator,
  MemoryCluster,
  serveIpcWorker,
  type CoordinatorEvent,
  type MessageChannel,
} from '../src/index.js';

function channelPair(): [MessageChannel, MessageChannel] {
  const listeners: [Set<(m: unknown) => void>, Set<(m: unknown) => void>] = [new Set(), new Set()];
  const end = (mine: number): MessageChannel => ({
    send(message) {
      const copy = structuredClone(message);
      setImmediate(() => {
        for (const listener of listeners[1 - mine] ?? []) listener(copy);
      });
    },
    onMessage(listener) {
      listeners[mine]?.add(listener);
      return () => listeners[mine]?.delete(listener);
    },
  });
  return [end(0), end(1)];
}

async function worker(cluster: MemoryCluster, index: number) {
  const [primarySide, pairSide] = channelPair();
  const sent: unknown[] = [];
  const workerSide: MessageChannel = {
    send: (message) => {
      sent.push(message);
      pairSide.send(message);
    },
    onMessage: (listener) => pairSide.onMessage(listener),
  };
  const stop = serveIpcWorker(cluster, primarySide, index);
  const coordinator = await IpcCoordinator.join(workerSide, {
    index,
    backplane: `127.0.0.1:${1000 + index}`,
    listener: 'shared',
  });
  return { coordinator, stop, sent };
}

describe('IpcCoordinator', () => {
  it('joins with the primary index and key, mirrors nodes, and gives one owner per group', async () => {
    const cluster = new MemoryCluster();
    const one = await worker(cluster, 1);
    const two = await worker(cluster, 2);
    expect(one.coordinator.nodeIndex).toBe(1);
    expect(Buffer.from(two.coordinator.clusterKey).equals(Buffer.from(cluster.clusterKey))).toBe(
      true,
    );
    await waitFor(() => one.coordinator.node(2) !== undefined, 'node 2 in the mirror of node 1');
    expect(one.coordinator.node(2)).toEqual({
      index: 2,
      nodeId: 'node-2',
      backplane: '127.0.0.1:1002',
      sharesListener: true,
    });
    const owners = await Promise.all([
      one.coordinator.claimGroup('g'),
      two.coordinator.claimGroup('g'),
    ]);
    expect(owners[0]).toBe(owners[1]);
    await one.coordinator.publishRoute('127.0.0.9:1', 'g');
    expect(await two.coordinator.lookupRoute('127.0.0.9:1')).toBe(owners[0]);
    const holder = owners[0] === 1 ? one : two;
    await holder.coordinator.publishSrtPeer('g', 4242);
    expect(await one.coordinator.srtPeerOf('g')).toBe(4242);
    expect(await two.coordinator.srtPeerOf('g')).toBe(4242);
    await two.coordinator.publishStats({ worker: 2 });
    expect([...(await one.coordinator.clusterStats())]).toEqual([[2, { worker: 2 }]]);

    const events: CoordinatorEvent[] = [];
    two.coordinator.onEvent((event) => events.push(event));
    one.stop(); // worker 1 exited
    await waitFor(() => events.some((e) => e.type === 'node-down'), 'node-down at worker 2');
    expect(two.coordinator.node(1)).toBeUndefined();
    expect(await two.coordinator.claimGroup('g')).toBe(2);
    await two.coordinator.close();
    await expect(two.coordinator.claimGroup('h')).rejects.toThrow(/closed/);
    await waitFor(() => cluster.indexes().length === 0, 'node 2 left');
  });

  it("answers lookups of routes other workers published from the primary's pushes", async () => {
    const cluster = new MemoryCluster();
    const one = await worker(cluster, 1);
    const two = await worker(cluster, 2);
    await waitFor(() => two.coordinator.node(1) !== undefined, 'node 1 in the mirror of node 2');
    await one.coordinator.claimGroup('g');
    await one.coordinator.publishRoute('127.0.0.9:7', 'g');
    const requests = () =>
      two.sent.filter((m) => (m as { kind?: string }).kind === 'request').length;
    // The push arrives after the publish: poll until a lookup needs no request.
    await waitFor(async () => {
      const before = requests();
      const owner = await two.coordinator.lookupRoute('127.0.0.9:7');
      return owner === 1 && requests() === before;
    }, 'a lookup answered from the pushed routes');
    // An unknown source still asks the primary.
    const before = requests();
    expect(await two.coordinator.lookupRoute('127.0.0.9:8')).toBeUndefined();
    expect(requests()).toBe(before + 1);
    // A group that ends takes its pushed routes along: the worker asks the primary again.
    await one.coordinator.claimGroup('h');
    await one.coordinator.publishRoute('127.0.0.9:9', 'h');
    await waitFor(async () => {
      const asked = requests();
      return (await two.coordinator.lookupRoute('127.0.0.9:9')) === 1 && requests() === asked;
    }, 'the route of group h pushed');
    await one.coordinator.releaseGroup('h');
    await waitFor(async () => {
      const asked = requests();
      const owner = await two.coordinator.lookupRoute('127.0.0.9:9');
      return owner === undefined && requests() === asked + 1;
    }, 'the route of the ended group h gone from the pushed routes');
    // The owner going down drops its pushed routes.
    one.stop();
    await waitFor(() => two.coordinator.node(1) === undefined, 'node 1 down');
    expect(await two.coordinator.lookupRoute('127.0.0.9:7')).toBeUndefined();
    two.stop();
  });

  it('a worker restarted under its index joins again', async () => {
    const cluster = new MemoryCluster();
    const first = await worker(cluster, 3);
    first.stop();
    const again = await worker(cluster, 3);
    expect(again.coordinator.nodeIndex).toBe(3);
    expect(cluster.indexes()).toEqual([3]);
    again.stop();
  });
});
