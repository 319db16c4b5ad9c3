/**
 * The coordination store of a bond-receiver cluster (issue 14), on Redis.
 *
 * What it holds, all under `bond:<cluster>:` and every key with an expiry (nothing outlives the
 * node that wrote it by more than its TTL):
 *
 * | key | value | expiry |
 * |---|---|---|
 * | `nodeidx:<i>` | the node's token (random, per process) | node TTL, renewed by the heartbeat |
 * | `node:<i>` | JSON {@link NodeRecord}: token, backplane address, node id | node TTL, renewed by the heartbeat |
 * | `group:<groupKey>` | owner's node index, decimal | the lease TTL the owner asks for |
 * | `route:<sourceKey>` | group key | the TTL the writer asks for |
 * | `srtpeer:<groupKey>` | the group's SRT caller's socket id, decimal | the TTL the writer asks for |
 * | `stats:<i>` | node i's stats, JSON | the TTL the writer asks for |
 *
 * Compare-and-set steps (claim, renew, release, heartbeat) run as Lua scripts, which Redis runs
 * atomically: no other command runs between the read and the write.
 *
 * The store is consulted off the per-packet path only (REG1/REG2 handling, cache misses, the
 * heartbeat, stats): each call is one round trip with a bounded timeout, and when Redis does not
 * answer it rejects with {@link ClusterUnavailableError} rather than waiting. Commands are not
 * queued while Redis is away (a queued claim answered a minute later is worse than a failed one);
 * the client reconnects by itself with back-off, and the heartbeat re-creates this node's keys
 * when Redis comes back empty (it runs without persistence).
 */
import { randomBytes } from 'node:crypto';
// ioredis is loaded when a store opens, not when this module is imported: a receiver that never
// joins a cluster does not pay its load time and memory (about 80 ms and 17 MiB here).
import type { Redis } from 'ioredis';
import {
  ClusterOptionError,
  ClusterStoreClosedError,
  ClusterUnavailableError,
  NodeIndexTakenError,
} from './errors.js';

/** The highest node index: the group id carries it as a u16, and 0 means "not clustered". */
export const MAX_NODE_INDEX = 65_535;
/** Default node TTL: a node that stops heartbeating is gone from `liveNodes()` within this. */
export const DEFAULT_NODE_TTL_MS = 2_000;
/** Default time one command may take before it fails with {@link ClusterUnavailableError}. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 1_000;
/** Longest TTL any call accepts (1 day): every key stays bounded. */
export const MAX_TTL_MS = 86_400_000;
/** Longest group or source key accepted, in characters. */
export const MAX_KEY_LENGTH = 512;
/** Longest pause between two reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 2_000;
/** SCAN rounds `liveNodes()` makes at most (each asks for 1000 keys; 65535 nodes fit). */
const MAX_SCAN_ROUNDS = 1_000;
/** Longest stats text {@link ClusterStore.setStats} takes (one node's summary, not a dump). */
export const MAX_STATS_LENGTH = 1_000_000;

const CLUSTER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** How to reach the store and how this node takes part. */
export interface ClusterStoreOptions {
  /** Redis URL, `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  readonly url: string;
  /** The cluster's name: every key is under `bond:<cluster>:`. 1-64 of `A-Z a-z 0-9 _ . -`. */
  readonly cluster: string;
  /** Node key expiry, ms; the heartbeat runs every third of it. Default {@link DEFAULT_NODE_TTL_MS}. */
  readonly nodeTtlMs?: number;
  /** Per-command and connect timeout, ms. Default {@link DEFAULT_COMMAND_TIMEOUT_MS}. */
  readonly commandTimeoutMs?: number;
  /** Told when the connection to Redis is lost or back, or a heartbeat fails or recovers. */
  readonly onStateChange?: (state: ClusterStoreState, error?: Error) => void;
}

/**
 * `ready`: Redis answers. `degraded`: it does not (the last command or heartbeat failed; the client
 * reconnects with back-off). `index-lost`: another process holds this node's index (it expired
 * while Redis was unreachable and was taken); the node must leave and join again. `closed`.
 */
export type ClusterStoreState = 'ready' | 'degraded' | 'index-lost' | 'closed';

/** What a node publishes about itself. */
export interface NodeRecord {
  /** The node index, 1..65535, that it writes into the group ids it issues. */
  readonly index: number;
  /** The backplane address other nodes forward to, `host:port`. */
  readonly backplane: string;
  /** A human-readable name (`--node-id`), for logs and stats. */
  readonly nodeId: string;
}

/** What {@link ClusterStore.join} takes. */
export interface JoinOptions {
  /** The backplane address other nodes forward to, `host:port`. */
  readonly backplane: string;
  /** A human-readable name for logs and stats. Default: the backplane address. */
  readonly nodeId?: string;
  /** Ask for exactly this index (fails if taken); default: any free one. */
  readonly index?: number;
}

// KEYS[1] group key; ARGV[1] node index, ARGV[2] ttl ms. Claims a free lease, renews one already
// held by the same node, and answers the owner either way.
const CLAIM = `
local owner = redis.call('GET', KEYS[1])
if not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
if owner == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return owner`;

// KEYS[1] key; ARGV[1] expected value, ARGV[2] ttl ms. 1 if renewed, 0 if not held by that value.
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

// KEYS[1..n] keys; ARGV[1] the value KEYS[1] must hold. Deletes them all if it does: 1, else 0.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', unpack(KEYS))
  return 1
end
return 0`;

// KEYS[1] nodeidx key, KEYS[2] node key; ARGV[1] token, ARGV[2] ttl ms, ARGV[3] node record.
// Renews this node's keys, re-creating them if they expired or Redis restarted empty; 0 if another
// process holds the index.
const HEARTBEAT = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
return 1`;

// KEYS[1] the prefix of index keys; ARGV[1] token, ARGV[2] ttl ms, ARGV[3] first index to try,
// ARGV[4] how many to try (wrapping after 65535). The index taken, or 0 if every one tried is held.
const ALLOCATE = `
local first = tonumber(ARGV[3])
for n = 0, tonumber(ARGV[4]) - 1 do
  local i = ((first - 1 + n) % ${MAX_NODE_INDEX}) + 1
  if redis.call('SET', KEYS[1] .. i, ARGV[1], 'NX', 'PX', ARGV[2]) then return i end
end
return 0`;

interface Scripts {
  bondClaim(key: string, owner: string, ttl: number): Promise<string>;
  bondRenew(key: string, value: string, ttl: number): Promise<number>;
  bondRelease(numKeys: number, ...args: string[]): Promise<number>;
  bondHeartbeat(
    idx: string,
    node: string,
    token: string,
    ttl: number,
    rec: string,
  ): Promise<number>;
  bondAllocate(
    prefix: string,
    token: string,
    ttl: number,
    first: number,
    n: number,
  ): Promise<number>;
}

/** One node's connection to the cluster store. Open with {@link ClusterStore.open}. */
export class ClusterStore {
  /** The Redis URL with any password replaced by `***` (for messages and logs). */
  readonly redis: string;
  /** The cluster name the keys are under. */
  readonly cluster: string;
  readonly nodeTtlMs: number;
  private readonly prefix: string;
  private readonly client: Redis & Scripts;
  private readonly onStateChange: ((state: ClusterStoreState, error?: Error) => void) | undefined;
  /** This process's token: tells its index keys from a predecessor's or a rival's. */
  private readonly token = randomBytes(12).toString('hex');
  private stateValue: ClusterStoreState = 'ready';
  private joined: NodeRecord | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private heartbeatRunning = false;

  private constructor(options: ClusterStoreOptions, client: Redis & Scripts, redis: string) {
    this.redis = redis;
    this.cluster = options.cluster;
    this.nodeTtlMs = options.nodeTtlMs ?? DEFAULT_NODE_TTL_MS;
    this.prefix = `bond:${options.cluster}:`;
    this.client = client;
    this.onStateChange = options.onStateChange;
    client.on('error', (error: Error) => {
      this.setState('degraded', error);
    });
    client.on('ready', () => {
      if (this.stateValue === 'degraded') this.setState('ready');
    });
  }

  /**
   * Connects to Redis. Rejects with {@link ClusterOptionError} for bad options and with
   * {@link ClusterUnavailableError} when Redis does not answer within the command timeout (the
   * client is closed again then: nothing keeps retrying in the background).
   */
  static async open(options: ClusterStoreOptions): Promise<ClusterStore> {
    const redis = checkOptions(options);
    const timeout = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const { Redis: RedisClient } = await import('ioredis');
    const client = new RedisClient(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: timeout,
      connectTimeout: timeout,
      // Back-off: 100 ms, 200 ms, ... up to MAX_RECONNECT_DELAY_MS, forever (until close()).
      retryStrategy: (attempt) =>
        Math.min(100 * 2 ** Math.min(attempt - 1, 5), MAX_RECONNECT_DELAY_MS),
    }) as Redis & Scripts;
    // Until the store takes over, the first connection error fails open() at once (the client
    // would otherwise retry in the background): refused, unreachable, timed out, bad credentials.
    let failed: (error: Error) => void = () => undefined;
    const connectionError = new Promise<never>((_, reject) => {
      failed = reject;
    });
    const onError = (error: Error): void => {
      failed(error);
    };
    client.on('error', onError);
    client.defineCommand('bondClaim', { numberOfKeys: 1, lua: CLAIM });
    client.defineCommand('bondRenew', { numberOfKeys: 1, lua: RENEW });
    client.defineCommand('bondRelease', { lua: RELEASE });
    client.defineCommand('bondHeartbeat', { numberOfKeys: 2, lua: HEARTBEAT });
    client.defineCommand('bondAllocate', { numberOfKeys: 1, lua: ALLOCATE });
    const connected = client.connect().then(() => client.ping());
    try {
      await Promise.race([connected, connectionError]);
    } catch (cause) {
      connected.catch(() => undefined); // settled by the error event first: nothing to report
      client.on('error', () => undefined); // nor from the closing client
      client.disconnect();
      throw new ClusterUnavailableError(redis, 'the connection', { cause });
    } finally {
      client.off('error', onError);
      connectionError.catch(() => undefined); // a later error is the store's to report
    }
    return new ClusterStore(options, client, redis);
  }

  /** Whether Redis answers, as last seen. */
  get state(): ClusterStoreState {
    return this.stateValue;
  }

  /** This node's record once {@link join} succeeded. */
  get node(): NodeRecord | undefined {
    return this.joined;
  }

  /**
   * Takes a node index (the one asked for, or a free one, atomically: two nodes never get the
   * same), publishes this node's record and starts the heartbeat that keeps both alive. Rejects
   * with {@link NodeIndexTakenError} when the index (or every index) is held.
   */
  async join(options: JoinOptions): Promise<NodeRecord> {
    this.checkOpen('join the cluster');
    if (this.joined) throw new ClusterOptionError('this store has joined already (leave() first)');
    if (!/^[^\s]+:\d{1,5}$/.test(options.backplane)) {
      throw new ClusterOptionError(
        `backplane address "${options.backplane}" is not host:port (for example 10.0.0.5:7000)`,
      );
    }
    if (options.index !== undefined) checkIndex(options.index, 'index');
    const first = options.index ?? 1 + Math.floor(Math.random() * MAX_NODE_INDEX);
    const tries = options.index === undefined ? MAX_NODE_INDEX : 1;
    const index = await this.run('a node index', () =>
      this.client.bondAllocate(this.key('nodeidx:'), this.token, this.nodeTtlMs, first, tries),
    );
    if (index === 0) {
      throw new NodeIndexTakenError(
        options.index === undefined
          ? `every node index 1..${MAX_NODE_INDEX} of cluster "${this.cluster}" is taken`
          : `node index ${options.index} of cluster "${this.cluster}" is held by a live node ` +
              '(pick another, or omit it to get a free one)',
      );
    }
    const record: NodeRecord = {
      index,
      backplane: options.backplane,
      nodeId: options.nodeId ?? options.backplane,
    };
    this.joined = record;
    if (this.stateValue === 'index-lost') {
      // Joined again after losing the index: the one state setState() does not leave by itself.
      this.stateValue = 'ready';
      this.onStateChange?.('ready');
    }
    await this.heartbeat();
    const every = Math.max(Math.floor(this.nodeTtlMs / 3), 1);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), every);
    this.heartbeatTimer.unref();
    return record;
  }

  /**
   * Renews this node's keys now (the timer does it every third of the node TTL). Never rejects:
   * a failure sets the state to `degraded` (or `index-lost`) and is reported to `onStateChange`.
   */
  async heartbeat(): Promise<void> {
    const node = this.joined;
    if (!node || this.heartbeatRunning || this.stateValue === 'closed') return;
    this.heartbeatRunning = true;
    try {
      const record = JSON.stringify({ ...node, token: this.token });
      const held = await this.client.bondHeartbeat(
        this.key(`nodeidx:${node.index}`),
        this.key(`node:${node.index}`),
        this.token,
        this.nodeTtlMs,
        record,
      );
      if (held === 1) {
        if (this.stateValue !== 'ready') this.setState('ready');
      } else {
        this.stopHeartbeat();
        this.setState(
          'index-lost',
          new NodeIndexTakenError(
            `node index ${node.index} of cluster "${this.cluster}" was taken by another node ` +
              'while this one could not reach the store (leave and join again)',
          ),
        );
      }
    } catch (cause) {
      // (After close() setState ignores it.)
      this.setState(
        'degraded',
        new ClusterUnavailableError(this.redis, 'the heartbeat', { cause }),
      );
    } finally {
      this.heartbeatRunning = false;
    }
  }

  /** Stops the heartbeat and deletes this node's keys (only if still its own). */
  async leave(): Promise<void> {
    const node = this.joined;
    if (!node) return;
    this.stopHeartbeat();
    this.joined = undefined;
    await this.run('leaving', () =>
      this.client.bondRelease(
        2,
        this.key(`nodeidx:${node.index}`),
        this.key(`node:${node.index}`),
        this.token,
      ),
    );
  }

  /** The nodes whose heartbeat is alive, by index. */
  async liveNodes(): Promise<NodeRecord[]> {
    this.checkOpen('list the nodes');
    const keys: string[] = [];
    let cursor = '0';
    for (let round = 0; round < MAX_SCAN_ROUNDS; round++) {
      const [next, batch] = await this.run('the node list', () =>
        this.client.scan(cursor, 'MATCH', this.key('node:*'), 'COUNT', 1000),
      );
      keys.push(...batch);
      cursor = next;
      if (cursor === '0') break;
    }
    if (keys.length === 0) return [];
    const values = await this.run('the node records', () => this.client.mget(keys));
    const nodes: NodeRecord[] = [];
    for (const value of values) {
      const record = value === null ? undefined : parseNodeRecord(value);
      if (record) nodes.push(record);
    }
    return nodes.sort((a, b) => a.index - b.index);
  }

  /**
   * Claims the lease on a group for `nodeIndex` for `ttlMs`, unless another node holds it; a
   * claim by the holder renews it. Answers the owner after the call: `nodeIndex` if it won.
   * Two nodes racing for one group: exactly one wins.
   */
  async claimGroup(groupKey: string, nodeIndex: number, ttlMs: number): Promise<number> {
    this.checkOpen('claim a group');
    checkKey(groupKey, 'groupKey');
    checkIndex(nodeIndex, 'nodeIndex');
    checkTtl(ttlMs);
    const owner = await this.run('the group claim', () =>
      this.client.bondClaim(this.key(`group:${groupKey}`), String(nodeIndex), ttlMs),
    );
    return Number(owner);
  }

  /** Extends `nodeIndex`'s lease on a group to `ttlMs` from now; false if it does not hold it. */
  async renewGroup(groupKey: string, nodeIndex: number, ttlMs: number): Promise<boolean> {
    this.checkOpen('renew a group');
    checkKey(groupKey, 'groupKey');
    checkIndex(nodeIndex, 'nodeIndex');
    checkTtl(ttlMs);
    const renewed = await this.run('the group renewal', () =>
      this.client.bondRenew(this.key(`group:${groupKey}`), String(nodeIndex), ttlMs),
    );
    return renewed === 1;
  }

  /** Ends `nodeIndex`'s lease on a group; false (and nothing deleted) if it does not hold it. */
  async releaseGroup(groupKey: string, nodeIndex: number): Promise<boolean> {
    this.checkOpen('release a group');
    checkKey(groupKey, 'groupKey');
    checkIndex(nodeIndex, 'nodeIndex');
    const released = await this.run('the group release', () =>
      this.client.bondRelease(1, this.key(`group:${groupKey}`), String(nodeIndex)),
    );
    return released === 1;
  }

  /** The node index holding a group's lease, or undefined when nobody does. */
  async groupOwner(groupKey: string): Promise<number | undefined> {
    this.checkOpen('look up a group');
    checkKey(groupKey, 'groupKey');
    const owner = await this.run('the group lookup', () =>
      this.client.get(this.key(`group:${groupKey}`)),
    );
    return owner === null ? undefined : Number(owner);
  }

  /** Records that datagrams from `sourceKey` (a source address and port) belong to `groupKey`. */
  async setRoute(sourceKey: string, groupKey: string, ttlMs: number): Promise<void> {
    this.checkOpen('set a route');
    checkKey(sourceKey, 'sourceKey');
    checkKey(groupKey, 'groupKey');
    checkTtl(ttlMs);
    await this.run('the route update', () =>
      this.client.set(this.key(`route:${sourceKey}`), groupKey, 'PX', ttlMs),
    );
  }

  /** The group a source address was last routed to, or undefined when none is (or it expired). */
  async lookupRoute(sourceKey: string): Promise<string | undefined> {
    this.checkOpen('look up a route');
    checkKey(sourceKey, 'sourceKey');
    const group = await this.run('the route lookup', () =>
      this.client.get(this.key(`route:${sourceKey}`)),
    );
    return group ?? undefined;
  }

  /**
   * Claims or renews many leases for `nodeIndex` in one pipeline (one round trip): each as
   * {@link claimGroup} (a lease gone, for example after Redis restarted empty, is taken again).
   * Answers each group's owner after the call: `nodeIndex` where it holds the lease.
   */
  async renewGroups(
    groupKeys: readonly string[],
    nodeIndex: number,
    ttlMs: number,
  ): Promise<Map<string, number>> {
    this.checkOpen('renew the group leases');
    for (const groupKey of groupKeys) checkKey(groupKey, 'groupKey');
    checkIndex(nodeIndex, 'nodeIndex');
    checkTtl(ttlMs);
    const owners = new Map<string, number>();
    if (groupKeys.length === 0) return owners;
    const results = await this.run('the lease renewal', async () => {
      const pipeline = this.client.pipeline() as unknown as Scripts & {
        exec(): Promise<[Error | null, unknown][] | null>;
      };
      for (const groupKey of groupKeys) {
        void pipeline.bondClaim(this.key(`group:${groupKey}`), String(nodeIndex), ttlMs);
      }
      return pipelineResults(await pipeline.exec());
    });
    groupKeys.forEach((groupKey, i) => owners.set(groupKey, Number(results[i])));
    return owners;
  }

  /** Sets many routes (source key, group key) with one expiry in one pipeline. */
  async setRoutes(routes: readonly (readonly [string, string])[], ttlMs: number): Promise<void> {
    this.checkOpen('set routes');
    for (const [sourceKey, groupKey] of routes) {
      checkKey(sourceKey, 'sourceKey');
      checkKey(groupKey, 'groupKey');
    }
    checkTtl(ttlMs);
    if (routes.length === 0) return;
    await this.run('the route update', async () => {
      const pipeline = this.client.pipeline();
      for (const [sourceKey, groupKey] of routes) {
        pipeline.set(this.key(`route:${sourceKey}`), groupKey, 'PX', ttlMs);
      }
      return pipelineResults(await pipeline.exec());
    });
  }

  /**
   * Records the SRT caller's socket ids of groups (group key, socket id) with one expiry, in one
   * pipeline.
   */
  async setSrtPeers(peers: readonly (readonly [string, number])[], ttlMs: number): Promise<void> {
    this.checkOpen('set SRT peers');
    for (const [groupKey, socketId] of peers) {
      checkKey(groupKey, 'groupKey');
      if (!(Number.isInteger(socketId) && socketId >= 0 && socketId <= 0xffff_ffff)) {
        throw new ClusterOptionError(`an SRT socket id is a u32, got ${socketId}`);
      }
    }
    checkTtl(ttlMs);
    if (peers.length === 0) return;
    await this.run('the SRT peer update', async () => {
      const pipeline = this.client.pipeline();
      for (const [groupKey, socketId] of peers) {
        pipeline.set(this.key(`srtpeer:${groupKey}`), String(socketId), 'PX', ttlMs);
      }
      return pipelineResults(await pipeline.exec());
    });
  }

  /** The SRT caller's socket id recorded for a group, or undefined. */
  async srtPeer(groupKey: string): Promise<number | undefined> {
    this.checkOpen("read a group's SRT peer");
    checkKey(groupKey, 'groupKey');
    const value = await this.run('the SRT peer lookup', () =>
      this.client.get(this.key(`srtpeer:${groupKey}`)),
    );
    if (value === null) return undefined;
    const socketId = Number(value);
    return Number.isInteger(socketId) && socketId >= 0 ? socketId : undefined;
  }

  /** Deletes a released group's routes (these sources) and its SRT peer, in one round trip. */
  async deleteGroupRecords(groupKey: string, sourceKeys: readonly string[]): Promise<void> {
    this.checkOpen("delete a group's records");
    checkKey(groupKey, 'groupKey');
    for (const sourceKey of sourceKeys) checkKey(sourceKey, 'sourceKey');
    await this.run("the group's record removal", () =>
      this.client.del(
        this.key(`srtpeer:${groupKey}`),
        ...sourceKeys.map((sourceKey) => this.key(`route:${sourceKey}`)),
      ),
    );
  }

  /** Stores node `nodeIndex`'s stats (any JSON text) for `ttlMs`. */
  async setStats(nodeIndex: number, json: string, ttlMs: number): Promise<void> {
    this.checkOpen('publish stats');
    checkIndex(nodeIndex, 'nodeIndex');
    checkTtl(ttlMs);
    if (json.length > MAX_STATS_LENGTH) {
      throw new ClusterOptionError(
        `stats must be at most ${MAX_STATS_LENGTH} characters of JSON, got ${json.length}`,
      );
    }
    await this.run('the stats update', () =>
      this.client.set(this.key(`stats:${nodeIndex}`), json, 'PX', ttlMs),
    );
  }

  /** The stats text each of `nodeIndexes` last stored (and that has not expired), by index. */
  async readStats(nodeIndexes: readonly number[]): Promise<Map<number, string>> {
    this.checkOpen('read stats');
    for (const index of nodeIndexes) checkIndex(index, 'nodeIndex');
    const stats = new Map<number, string>();
    if (nodeIndexes.length === 0) return stats;
    const values = await this.run('the stats read', () =>
      this.client.mget(nodeIndexes.map((index) => this.key(`stats:${index}`))),
    );
    nodeIndexes.forEach((index, i) => {
      const value = values[i];
      if (typeof value === 'string') stats.set(index, value);
    });
    return stats;
  }

  /**
   * Drops the connection at once without leaving: the heartbeat stops and Redis forgets this node
   * only when its keys expire, as after a crash. For a process that must exit now, and for tests.
   */
  abandon(): void {
    if (this.stateValue === 'closed') return;
    this.stopHeartbeat();
    this.setState('closed');
    this.client.disconnect();
  }

  /**
   * Leaves the cluster (best effort: if Redis is away, this node's keys expire by themselves) and
   * closes the connection. Idempotent; never rejects.
   */
  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    try {
      await this.leave();
    } catch {
      // Redis is away: the keys expire within the node TTL.
    }
    this.stopHeartbeat();
    this.setState('closed');
    this.client.disconnect();
  }

  private key(suffix: string): string {
    return this.prefix + suffix;
  }

  private async run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    try {
      const result = await command();
      if (this.stateValue === 'degraded') this.setState('ready');
      return result;
    } catch (cause) {
      if (this.stateValue === 'closed') throw new ClusterStoreClosedError(operation);
      const error = new ClusterUnavailableError(this.redis, operation, { cause });
      this.setState('degraded', error);
      throw error;
    }
  }

  private checkOpen(operation: string): void {
    if (this.stateValue === 'closed') throw new ClusterStoreClosedError(operation);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private setState(state: ClusterStoreState, error?: Error): void {
    if (this.stateValue === 'closed') return;
    // An index lost stays lost until leave/join; only closing moves on from it.
    if (this.stateValue === 'index-lost' && state !== 'closed') return;
    const changed = state !== this.stateValue;
    this.stateValue = state;
    if (changed) this.onStateChange?.(state, error);
  }
}

/** `url` with its password (if any) replaced by `***`. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not a URL: still never show what may be a password (anything before an '@').
    const at = url.lastIndexOf('@');
    if (at < 0) return url;
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? '';
    return `${scheme}***${url.slice(at)}`;
  }
}

function checkOptions(options: ClusterStoreOptions): string {
  let parsed: URL;
  try {
    parsed = new URL(options.url);
  } catch {
    throw new ClusterOptionError(
      `cluster store URL "${redactRedisUrl(options.url)}" is not a URL (expected redis://host:port)`,
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ClusterOptionError(
      `cluster store URL must start with redis:// or rediss://, not ${parsed.protocol}//`,
    );
  }
  if (!CLUSTER_NAME.test(options.cluster)) {
    throw new ClusterOptionError(
      `cluster name "${options.cluster}" must be 1-64 characters of A-Z a-z 0-9 _ . -`,
    );
  }
  if (options.nodeTtlMs !== undefined) checkTtl(options.nodeTtlMs, 'nodeTtlMs');
  const timeout = options.commandTimeoutMs;
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1 || timeout > 60_000)) {
    throw new ClusterOptionError(`commandTimeoutMs must be an integer 1..60000, got ${timeout}`);
  }
  return redactRedisUrl(options.url);
}

function checkIndex(index: number, name: string): void {
  if (!Number.isInteger(index) || index < 1 || index > MAX_NODE_INDEX) {
    throw new ClusterOptionError(`${name} must be an integer 1..${MAX_NODE_INDEX}, got ${index}`);
  }
}

function checkTtl(ttlMs: number, name = 'ttlMs'): void {
  if (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_TTL_MS) {
    throw new ClusterOptionError(`${name} must be an integer 1..${MAX_TTL_MS} ms, got ${ttlMs}`);
  }
}

function checkKey(key: string, name: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new ClusterOptionError(`${name} must be a string of 1..${MAX_KEY_LENGTH} characters`);
  }
}

/** The results of a pipeline, or the first error one of its commands met. */
function pipelineResults(results: [Error | null, unknown][] | null): unknown[] {
  if (results === null) throw new Error('the pipeline was discarded');
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

function parseNodeRecord(value: string): NodeRecord | undefined {
  try {
    const parsed = JSON.parse(value) as Partial<NodeRecord>;
    if (
      typeof parsed.index === 'number' &&
      typeof parsed.backplane === 'string' &&
      typeof parsed.nodeId === 'string'
    ) {
      return { index: parsed.index, backplane: parsed.backplane, nodeId: parsed.nodeId };
    }
  } catch {
    // A record this version does not understand: not listed.
  }
  return undefined;
}
