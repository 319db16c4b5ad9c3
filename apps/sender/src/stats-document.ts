/**
 * The sender's stats document: what `--stats-json` writes (one per line), what `/api/v1/stats`
 * serves and what each `/api/v1/events` event carries. The runtime's `SenderSnapshot` (addresses
 * already printed: `127.0.0.1:5000`, `[::1]:5000`) with the time it was taken, the alarm a
 * streamer must see first, and one row per link as the live view shows it (state, share, rate,
 * RTT, queueing delay, in flight, loss over the last 10 s and lifetime).
 */
import type { SenderSnapshot } from '@bond/runtime';
import type { AlarmWatch, SenderAlarm } from './alarms.js';
import { linkStatuses, type LinkStatus, type LossWindow, type RttFloor } from './link-status.js';

export interface SenderStatsDocument extends SenderSnapshot {
  /** When the snapshot was taken, ISO 8601 UTC. */
  readonly time: string;
  /** `receiver-silent`, `all-down` or `refused`; null when all is well. */
  readonly alarm: SenderAlarm | null;
  /** The live view's rows, in the order of `links`. */
  readonly linkStatus: readonly LinkStatus[];
}

/**
 * What a run keeps between documents, so every surface agrees: the RTT floor (queueing delay
 * estimates), the loss window, and the alarm state.
 */
export interface StatsHistory {
  readonly floor: RttFloor;
  readonly losses: LossWindow;
  readonly alarms: Pick<AlarmWatch, 'peek'>;
}

/** The document for `snapshot`, with the run's `history`. */
export function senderStatsDocument(
  snapshot: SenderSnapshot,
  history: StatsHistory,
  now: Date = new Date(),
): SenderStatsDocument {
  return {
    time: now.toISOString(),
    ...snapshot,
    alarm: history.alarms.peek(snapshot) ?? null,
    linkStatus: linkStatuses(snapshot, history.floor, history.losses),
  };
}
