/**
 * `createReceiver` options, their defaults and validation.
 */
import { RuntimeOptionError } from './errors.js';
import type { HostOptions } from './host-options.js';
import type { ReceiverClusterOptions } from './receiver-cluster.js';
import type { StreamLabelMode } from './stream-label.js';

/**
 * The group's forward path: `off` passes SRT through in arrival order; `auto` holds packets for
 * the measured delay skew between the group's links plus a margin (core's reorder engine);
 * `{ fixedMs }` holds for a fixed time.
 */
export type ReorderSetting = 'off' | 'auto' | { readonly fixedMs: number };

/** 10000 ms: the longest fixed reorder hold accepted (SRT latencies are 1-3 s). */
export const MAX_REORDER_HOLD_MS = 10_000;

export interface CreateReceiverOptions extends HostOptions {
  /** UDP port senders register on (srtla_rec's SRTLA_LISTEN_PORT); 0 lets the system choose. */
  readonly port: number;
  /** Local address to listen on. Default `::` (dual-stack: IPv4 and IPv6 senders). */
  readonly address?: string;
  /** With an IPv6 `address`: accept IPv6 only. Default false. */
  readonly ipv6Only?: boolean;
  /**
   * Share the listening address and port with other processes (`bond-receiver --workers N`):
   * `SO_REUSEPORT` on native backends, a `node:cluster` shared socket on `dgram`. Default false.
   */
  readonly reusePort?: boolean;
  /** The SRT listener every group forwards to: host name or IP literal, and port. */
  readonly upstream: { readonly host: string; readonly port: number };
  /** Groups held at once, pending ones included. Default 200. */
  readonly maxGroups?: number;
  /** Links per group. Default 16. */
  readonly maxLinksPerGroup?: number;
  /** A link silent this long is removed. Default 15000 ms. */
  readonly linkTimeoutMs?: number;
  /** A group with no activity this long is removed. Default 30000 ms. */
  readonly groupTimeoutMs?: number;
  /** A group that never carried data is removed after this long. Default 5000 ms. */
  readonly pendingGroupTimeoutMs?: number;
  /**
   * Groups registered but carrying no SRT yet, at once, from one source IP (a newer one replaces
   * that IP's oldest; one per address and port always). Default 4.
   */
  readonly maxPendingGroupsPerIp?: number;
  /** How often link and group timeouts are checked. Default 1000 ms. */
  readonly housekeepingIntervalMs?: number;
  /** The groups' forward path. Default {@link DEFAULT_REORDER} (`auto`). */
  readonly reorder?: ReorderSetting;
  /**
   * At start, send a few hundred REG1 from a loopback socket to the listening socket and answer
   * them, so the listening path is compiled before the first sender or flood (answers keep no
   * state; the stats leave them out). Not done with `reusePort` (another process could answer
   * them) nor on the `memory` backend. Default true.
   */
  readonly warmUp?: boolean;
  /** Datagrams kept per group while its upstream socket is still opening. Default 1024. */
  readonly upstreamQueueLimit?: number;
  /**
   * How a group's SRT stream id is shown in logs and stats (`stream`): `redacted` (default: the
   * readable path, never a password), `hashed` or `full`. See {@link streamLabel}.
   */
  readonly streamLabel?: StreamLabelMode;
  /**
   * Runs the receiver as one node of a cluster (issue 14; `@bond/cluster`'s `ClusterNode` makes
   * this): the cluster's cookie keys and node index, and the node's routing hooks. Default: none
   * (a receiver on its own).
   */
  readonly cluster?: ReceiverClusterOptions;
}

/**
 * `auto`: the one default for every receiver, embedded or `bond-receiver`. SRT listeners NAK every
 * reordering between links; holding for the measured skew cuts those spurious retransmissions
 * (the quality benchmark's skew scenario: 101,386 with `off`, 317 with `auto`).
 */
export const DEFAULT_REORDER: ReorderSetting = 'auto';

/** Validates what the engine does not validate itself; returns the reorder setting. */
export function checkReceiverOptions(options: CreateReceiverOptions): ReorderSetting {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new RuntimeOptionError(`port must be 0..65535, got ${String(options.port)}`);
  }
  const limit = options.upstreamQueueLimit;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new RuntimeOptionError(`upstreamQueueLimit must be a whole number, got ${String(limit)}`);
  }
  return checkReorder(options.reorder ?? DEFAULT_REORDER);
}

/** Validates a reorder setting (also for callers that parse one from text). */
export function checkReorder(reorder: ReorderSetting): ReorderSetting {
  if (reorder === 'off' || reorder === 'auto') return reorder;
  const fixed = (reorder as { fixedMs?: unknown } | null)?.fixedMs;
  if (typeof fixed !== 'number' || !(fixed > 0 && fixed <= MAX_REORDER_HOLD_MS)) {
    throw new RuntimeOptionError(
      `reorder must be "off", "auto" or { fixedMs } with 0 < fixedMs <= ${MAX_REORDER_HOLD_MS}, got ${JSON.stringify(reorder)}`,
    );
  }
  return { fixedMs: fixed };
}

/** `off`, `auto` or `250 ms`, for logs and stats. */
export function formatReorder(reorder: ReorderSetting): string {
  return typeof reorder === 'string' ? reorder : `${reorder.fixedMs} ms`;
}
