/**
 * A {@link ClusterCoordinator} over a message channel to another process (`bond-receiver --workers
 * N`: each worker's coordinator is a proxy of the primary's {@link MemoryCluster}, over the
 * `node:cluster` IPC channel). The worker keeps a mirror of the live nodes, pushed by the primary
 * on every change, so `node()` and `nodes()` answer without a round trip, and of the routes every
 * other worker publishes, so `lookupRoute` for a link registered elsewhere answers at once (one
 * socket shared by all workers hands any worker any datagram); the other calls are one request
 * each.
 *
 * Messages are plain objects with `bond: 'cluster'` (other traffic on the channel is left alone).
 */
import type {
  ClusterCoordinator,
  ClusterNodeView,
  CoordinatorEvent,
  CoordinatorState,
} from './coordinator.js';
import { ClusterStoreClosedError, ClusterUnavailableError } from './errors.js';
import type { MemoryCluster, MemoryCoordinator } from './memory-coordinator.js';

/** One end of a message channel (a `node:cluster` worker, or `process` in the worker). */
export interface MessageChannel {
  send(message: unknown): void;
  /** Subscribes to messages; returns the unsubscribe function. */
  onMessage(listener: (message: unknown) => void): () => void;
}

/** Routes a worker keeps from the primary's pushes, at most (then it starts afresh). */
const MIRRORED_ROUTES = 100_000;

/** How long a worker waits for the primary to answer one request, ms. */
export const IPC_REQUEST_TIMEOUT_MS = 5000;

type Operation =
  | 'claimGroup'
  | 'releaseGroup'
  | 'publishRoute'
  | 'lookupRoute'
  | 'publishSrtPeer'
  | 'srtPeerOf'
  | 'publishStats'
  | 'clusterStats';

type ToPrimary =
  | {
      bond: 'cluster';
      kind: 'join';
      index: number;
      backplane: string;
      nodeId?: string;
      listener?: string;
    }
  | { bond: 'cluster'; kind: 'request'; id: number; op: Operation; args: unknown[] }
  | { bond: 'cluster'; kind: 'leave' };

type ToWorker =
  | {
      bond: 'cluster';
      kind: 'joined';
      index: number;
      clusterKey: string;
      nodes: ClusterNodeView[];
    }
  | { bond: 'cluster'; kind: 'join-failed'; error: string }
  | { bond: 'cluster'; kind: 'response'; id: number; ok: boolean; value?: unknown; error?: string }
  | { bond: 'cluster'; kind: 'nodes'; nodes: ClusterNodeView[] }
  /** A route published (`owner`), or removed with its group (no `owner`). */
  | { bond: 'cluster'; kind: 'route'; sourceKey: string; owner?: number }
  | { bond: 'cluster'; kind: 'event'; event: CoordinatorEvent };

function isClusterMessage(message: unknown): message is { bond: 'cluster'; kind: string } {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { bond?: unknown }).bond === 'cluster'
  );
}

/** The worker side. Make one with {@link IpcCoordinator.join}. */
export class IpcCoordinator implements ClusterCoordinator {
  private readonly listeners = new Set<(event: CoordinatorEvent) => void>();
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
  >();
  private mirror = new Map<number, ClusterNodeView>();
  /** Routes the primary pushed: source -> owner (answers lookups without a round trip). */
  private readonly routes = new Map<string, number>();
  private nextId = 1;
  private closed = false;
  private readonly unsubscribe: () => void;

  private constructor(
    private readonly channel: MessageChannel,
    readonly nodeIndex: number,
    readonly clusterKey: Uint8Array,
    nodes: readonly ClusterNodeView[],
  ) {
    this.setNodes(nodes);
    this.unsubscribe = channel.onMessage((message) => {
      if (isClusterMessage(message)) this.onMessage(message as ToWorker);
    });
  }

  /**
   * Joins the primary's cluster as node `index` with this backplane address. Rejects with
   * {@link ClusterUnavailableError} when the primary does not answer within the request timeout.
   */
  static join(
    channel: MessageChannel,
    options: { index: number; backplane: string; nodeId?: string; listener?: string },
  ): Promise<IpcCoordinator> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new ClusterUnavailableError('the primary process', 'the join of a worker'));
      }, IPC_REQUEST_TIMEOUT_MS);
      const stop = channel.onMessage((message) => {
        if (!isClusterMessage(message)) return;
        const answer = message as ToWorker;
        if (answer.kind === 'join-failed') {
          clearTimeout(timer);
          stop();
          reject(new Error(`the primary refused the worker's join: ${answer.error}`));
        } else if (answer.kind === 'joined') {
          clearTimeout(timer);
          stop();
          resolve(
            new IpcCoordinator(
              channel,
              answer.index,
              new Uint8Array(Buffer.from(answer.clusterKey, 'hex')),
              answer.nodes,
            ),
          );
        }
      });
      const join: ToPrimary = { bond: 'cluster', kind: 'join', ...options };
      channel.send(join);
    });
  }

  state(): CoordinatorState {
    return this.closed ? 'closed' : 'ready';
  }

  node(index: number): ClusterNodeView | undefined {
    return this.mirror.get(index);
  }

  nodes(): readonly ClusterNodeView[] {
    return [...this.mirror.values()];
  }

  claimGroup(groupKey: string): Promise<number> {
    return this.request('claimGroup', [groupKey]) as Promise<number>;
  }

  async releaseGroup(groupKey: string): Promise<void> {
    await this.request('releaseGroup', [groupKey]);
  }

  async publishRoute(sourceKey: string, groupKey: string): Promise<void> {
    await this.request('publishRoute', [sourceKey, groupKey]);
  }

  async lookupRoute(sourceKey: string): Promise<number | undefined> {
    const pushed = this.routes.get(sourceKey);
    if (pushed !== undefined && this.mirror.has(pushed)) return pushed;
    const owner = await this.request('lookupRoute', [sourceKey]);
    return typeof owner === 'number' ? owner : undefined;
  }

  async publishSrtPeer(groupKey: string, socketId: number): Promise<void> {
    await this.request('publishSrtPeer', [groupKey, socketId]);
  }

  async srtPeerOf(groupKey: string): Promise<number | undefined> {
    const socketId = await this.request('srtPeerOf', [groupKey]);
    return typeof socketId === 'number' ? socketId : undefined;
  }

  async publishStats(stats: unknown): Promise<void> {
    await this.request('publishStats', [stats]);
  }

  async clusterStats(): Promise<ReadonlyMap<number, unknown>> {
    const entries = (await this.request('clusterStats', [])) as [number, unknown][];
    return new Map(entries);
  }

  onEvent(listener: (event: CoordinatorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    try {
      const leave: ToPrimary = { bond: 'cluster', kind: 'leave' };
      this.channel.send(leave);
    } catch {
      // The channel is gone: the primary noticed the exit anyway.
    }
    this.unsubscribe();
    for (const [, call] of this.pending) {
      clearTimeout(call.timer);
      call.reject(new ClusterStoreClosedError('finish a request'));
    }
    this.pending.clear();
    this.mirror.clear();
    return Promise.resolve();
  }

  private request(op: Operation, args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new ClusterStoreClosedError(op));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ClusterUnavailableError('the primary process', op));
      }, IPC_REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      try {
        const message: ToPrimary = { bond: 'cluster', kind: 'request', id, op, args };
        this.channel.send(message);
      } catch (cause) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new ClusterUnavailableError('the primary process', op, { cause }));
      }
    });
  }

  private onMessage(message: ToWorker): void {
    switch (message.kind) {
      case 'response': {
        const call = this.pending.get(message.id);
        if (call === undefined) return;
        this.pending.delete(message.id);
        clearTimeout(call.timer);
        if (message.ok) call.resolve(message.value);
        else call.reject(new Error(message.error ?? 'the primary refused the request'));
        return;
      }
      case 'nodes':
        this.setNodes(message.nodes);
        return;
      case 'route':
        if (message.owner === undefined) {
          this.routes.delete(message.sourceKey);
          return;
        }
        if (this.routes.size >= MIRRORED_ROUTES) this.routes.clear();
        this.routes.set(message.sourceKey, message.owner);
        return;
      case 'event':
        if (message.event.type === 'node-down') {
          const gone = message.event.index;
          this.mirror.delete(gone);
          for (const [source, owner] of this.routes) if (owner === gone) this.routes.delete(source);
        }
        if (message.event.type === 'node-up')
          this.mirror.set(message.event.node.index, message.event.node);
        for (const listener of this.listeners) listener(message.event);
        return;
      default:
    }
  }

  private setNodes(nodes: readonly ClusterNodeView[]): void {
    this.mirror = new Map(nodes.map((node) => [node.index, node]));
  }
}

/**
 * The primary side of one worker's channel: answers its join (as node `index` of `cluster`) and
 * its requests, and pushes the node list and events. Returns a function that stops serving and
 * takes the worker's node out of the cluster (call it when the worker exits).
 */
export function serveIpcWorker(
  cluster: MemoryCluster,
  channel: MessageChannel,
  index: number,
  onJoined?: (coordinator: MemoryCoordinator) => void,
): () => void {
  let coordinator: MemoryCoordinator | undefined;
  let stopEvents: (() => void) | undefined;
  const send = (message: ToWorker): void => {
    try {
      channel.send(message);
    } catch {
      // The worker is gone: its exit takes it out.
    }
  };
  const stop = channel.onMessage((raw) => {
    if (!isClusterMessage(raw)) return;
    const message = raw as ToPrimary;
    if (message.kind === 'join') {
      if (coordinator !== undefined) return;
      try {
        coordinator = cluster.join({
          index,
          backplane: message.backplane,
          ...(message.nodeId === undefined ? {} : { nodeId: message.nodeId }),
          ...(message.listener === undefined ? {} : { listener: message.listener }),
        });
      } catch (error) {
        send({
          bond: 'cluster',
          kind: 'join-failed',
          error: error instanceof Error ? error.message : String(error),
        });
        return;
      }
      const joined = coordinator;
      const stopNodeEvents = joined.onEvent((event) => {
        send({ bond: 'cluster', kind: 'event', event });
      });
      const stopRoutes = cluster.onRoute((sourceKey, owner) => {
        if (owner === undefined) send({ bond: 'cluster', kind: 'route', sourceKey });
        else if (owner !== index) send({ bond: 'cluster', kind: 'route', sourceKey, owner });
      });
      stopEvents = () => {
        stopNodeEvents();
        stopRoutes();
      };
      send({
        bond: 'cluster',
        kind: 'joined',
        index,
        clusterKey: Buffer.from(cluster.clusterKey).toString('hex'),
        nodes: [...joined.nodes()],
      });
      onJoined?.(joined);
      return;
    }
    if (message.kind === 'leave') {
      cluster.remove(index);
      return;
    }
    const current = coordinator;
    if (current === undefined) {
      send({ bond: 'cluster', kind: 'response', id: message.id, ok: false, error: 'not joined' });
      return;
    }
    void answer(current, message.op, message.args).then(
      (value) => {
        send({ bond: 'cluster', kind: 'response', id: message.id, ok: true, value });
      },
      (error: unknown) => {
        send({
          bond: 'cluster',
          kind: 'response',
          id: message.id,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        });
      },
    );
  });
  return () => {
    stop();
    stopEvents?.();
    if (coordinator !== undefined) cluster.remove(index);
  };
}

async function answer(
  coordinator: MemoryCoordinator,
  op: Operation,
  args: unknown[],
): Promise<unknown> {
  const text = (i: number): string => {
    const value = args[i];
    if (typeof value !== 'string') throw new Error(`${op}: argument ${i + 1} must be a string`);
    return value;
  };
  switch (op) {
    case 'claimGroup':
      return coordinator.claimGroup(text(0));
    case 'releaseGroup':
      return coordinator.releaseGroup(text(0));
    case 'publishRoute':
      return coordinator.publishRoute(text(0), text(1));
    case 'lookupRoute':
      return coordinator.lookupRoute(text(0));
    case 'publishSrtPeer': {
      const socketId = args[1];
      if (typeof socketId !== 'number' || !Number.isInteger(socketId) || socketId < 0) {
        throw new Error(`${op}: argument 2 must be a socket id (a whole number)`);
      }
      return coordinator.publishSrtPeer(text(0), socketId);
    }
    case 'srtPeerOf':
      return coordinator.srtPeerOf(text(0));
    case 'publishStats':
      return coordinator.publishStats(args[0]);
    case 'clusterStats':
      return [...(await coordinator.clusterStats())];
    default:
      throw new Error(`unknown request ${String(op)}`);
  }
}
