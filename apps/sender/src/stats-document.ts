/**
 * The sender's stats document: what `--stats-json` writes (one per line), what `/api/v1/stats`
 * serves and what each `/api/v1/events` event carries. The runtime's `SenderSnapshot` (addresses
 * already printed: `127.0.0.1:5000`, `[::1]:5000`) with the time it was taken and one row per link
 * as the live view shows it (state, share, rate, RTT, queueing delay, in flight, loss).
 */
import type { SenderSnapshot } from '@bond/runtime';
import { linkStatuses, type LinkStatus, type RttFloor } from './link-status.js';

export interface SenderStatsDocument extends SenderSnapshot {
  /** When the snapshot was taken, ISO 8601 UTC. */
  readonly time: string;
  /** The live view's rows, in the order of `links`. */
  readonly linkStatus: readonly LinkStatus[];
}

/** The document for `snapshot`; `floor` is the run's one RTT floor (queueing delay estimates). */
export function senderStatsDocument(
  snapshot: SenderSnapshot,
  floor: RttFloor,
  now: Date = new Date(),
): SenderStatsDocument {
  return { time: now.toISOString(), ...snapshot, linkStatus: linkStatuses(snapshot, floor) };
}
