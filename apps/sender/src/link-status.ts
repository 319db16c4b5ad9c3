/**
 * One row per link for the live view, the status log lines and their tests: state, share of the
 * sending rate, rate, RTT, queueing delay, in flight and loss (over the last 10 s and lifetime),
 * computed from a `SenderSnapshot`.
 */
import type { SenderSnapshot } from '@bond/runtime';
import { alarmLine, type SenderAlarm } from './alarms.js';

/** The recent window of the loss column, ms. */
export const LOSS_WINDOW_MS = 10_000;

export interface LinkStatus {
  readonly id: number;
  readonly name: string;
  readonly address: string;
  /**
   * The socket's state while it is not open (`opening`, `failed`), else what the link's answers
   * say (core's health): `up`, `stalled` (an answer is late by max(3 RTT, 700 ms)), `down` (no
   * answer for 4 s, or lost and re-registering), `connecting`; `refused` after a REG_NAK.
   */
  readonly state: string;
  readonly priority: number;
  /** This link's part of every link's send rate, percent. */
  readonly sharePercent: number;
  readonly rateBitsPerSec: number;
  readonly rttMs: number | undefined;
  /**
   * Time spent in queues, ms: what a bond receiver reports, else the smoothed RTT above the lowest
   * seen on the link.
   */
  readonly queueDelayMs: number | undefined;
  readonly inFlight: number;
  /** Packets the receiver NAKed over packets sent in the last {@link LOSS_WINDOW_MS}, percent. */
  readonly lossPercent: number;
  /** Packets the receiver NAKed over packets sent since the link started, percent. */
  readonly lifetimeLossPercent: number;
}

/** The lowest smoothed RTT seen per link: the base the queueing delay is measured from. */
export class RttFloor {
  private readonly floors = new Map<number, number>();

  /** Notes `rttMs` for link `id`; returns the RTT above the lowest seen. */
  queueDelay(id: number, rttMs: number | undefined): number | undefined {
    if (rttMs === undefined) return undefined;
    const floor = Math.min(this.floors.get(id) ?? rttMs, rttMs);
    this.floors.set(id, floor);
    return rttMs - floor;
  }

  /** Forgets links that are gone. */
  keep(ids: ReadonlySet<number>): void {
    for (const id of this.floors.keys()) if (!ids.has(id)) this.floors.delete(id);
  }
}

/**
 * Each link's NAK and send counters over the last `windowMs` (by the snapshot's `uptimeMs`): the
 * loss over the window is the NAKs over the packets sent since the oldest sample in it.
 */
export class LossWindow {
  private readonly samples = new Map<number, { at: number; sent: number; naked: number }[]>();

  constructor(readonly windowMs: number = LOSS_WINDOW_MS) {}

  /** Notes link `id`'s counters at `at` ms; returns its loss over the window, percent. */
  lossPercent(id: number, at: number, sent: number, naked: number): number {
    let list = this.samples.get(id);
    if (list === undefined) {
      list = [];
      this.samples.set(id, list);
    }
    const last = list[list.length - 1];
    // Counters that went back (a link re-added under the same id) start the window over.
    if (last !== undefined && (sent < last.sent || naked < last.naked || at < last.at)) {
      list.length = 0;
    }
    list.push({ at, sent, naked });
    // Keep one sample at or beyond the window's start: the base the window is measured from.
    while (list.length > 2 && (list[1]?.at ?? at) <= at - this.windowMs) list.shift();
    const base = list[0] ?? { at, sent, naked };
    const sentIn = sent - base.sent;
    return sentIn > 0 ? (100 * Math.min(sentIn, naked - base.naked)) / sentIn : 0;
  }

  /** Forgets links that are gone. */
  keep(ids: ReadonlySet<number>): void {
    for (const id of this.samples.keys()) if (!ids.has(id)) this.samples.delete(id);
  }
}

/** The state a person should see for `link` (see {@link LinkStatus.state}). */
function displayState(snapshot: SenderSnapshot, link: SenderSnapshot['links'][number]): string {
  if (link.socket.state !== 'open') return link.socket.state;
  if (snapshot.phase === 'refused') return 'refused';
  return link.engine?.health ?? 'connecting';
}

export function linkStatuses(
  snapshot: SenderSnapshot,
  floor: RttFloor,
  losses: LossWindow,
): LinkStatus[] {
  const total = snapshot.links.reduce(
    (sum, link) => sum + (link.engine?.sendRateBytesPerSec ?? 0),
    0,
  );
  const ids = new Set(snapshot.links.map((link) => link.id));
  floor.keep(ids);
  losses.keep(ids);
  return snapshot.links.map((link) => {
    const engine = link.engine;
    const rate = engine?.sendRateBytesPerSec ?? 0;
    const sent = engine?.packetsSent ?? 0;
    const naked = engine?.packetsNaked ?? 0;
    return {
      id: link.id,
      name: link.name,
      address: link.bindAddress,
      state: displayState(snapshot, link),
      priority: link.priority,
      sharePercent: total > 0 ? (100 * rate) / total : 0,
      rateBitsPerSec: rate * 8,
      rttMs: engine?.srttMs,
      queueDelayMs: queueDelay(floor, link.id, engine?.srttMs, engine?.report?.queueingDelayUs),
      inFlight: engine?.inFlight ?? 0,
      lossPercent: losses.lossPercent(link.id, snapshot.uptimeMs, sent, naked),
      lifetimeLossPercent: sent > 0 ? (100 * Math.min(sent, naked)) / sent : 0,
    };
  });
}

function queueDelay(
  floor: RttFloor,
  id: number,
  rttMs: number | undefined,
  reportedUs: number | undefined,
): number | undefined {
  const estimate = floor.queueDelay(id, rttMs);
  return reportedUs === undefined ? estimate : reportedUs / 1000;
}

function rate(bitsPerSec: number): string {
  if (bitsPerSec >= 1e6) return `${(bitsPerSec / 1e6).toFixed(2)} Mb/s`;
  return `${(bitsPerSec / 1e3).toFixed(0)} kb/s`;
}

function ms(value: number | undefined): string {
  return value === undefined ? '-' : `${value.toFixed(0)} ms`;
}

function percent(value: number): string {
  return `${value.toFixed(value >= 10 ? 0 : 1)}%`;
}

/**
 * The live view's width: every line fits a standard 80-column terminal without touching its last
 * column (the view leaves it free so that no line wraps).
 */
export const STATUS_COLUMNS = 79;

// LINK, STATE, then right-aligned SHARE, RATE, RTT, QUEUE, IN FLIGHT, LOSS 10s, LOSS ALL: 79.
const WIDTHS = [13, 10, 5, 10, 7, 7, 6, 7, 6] as const;

function columns(cells: readonly string[]): string {
  return cells
    .map((cell, index) => {
      const width = WIDTHS[index] ?? 6;
      const fitted = cell.length > width ? cell.slice(0, width) : cell;
      return index < 2 ? fitted.padEnd(width) : fitted.padStart(width);
    })
    .join(' ')
    .trimEnd();
}

/**
 * The live view's lines, none wider than {@link STATUS_COLUMNS}: the alarm first when there is one
 * (all links down, receiver not answering, refused), a summary, a header, one line per link.
 */
export function formatStatusLines(
  snapshot: SenderSnapshot,
  links: readonly LinkStatus[],
  alarm: SenderAlarm | undefined,
): string[] {
  const fit = (line: string) =>
    line.length > STATUS_COLUMNS ? `${line.slice(0, STATUS_COLUMNS - 1)}~` : line;
  const lines: string[] = [];
  if (alarm !== undefined) lines.push(fit(alarmLine(alarm, snapshot)));
  lines.push(
    fit(`bond-sender ${snapshot.listen} -> ${snapshot.receiver} (${snapshot.receiverKind})`),
    fit(
      `${snapshot.phase}  links up ${snapshot.linksHealthy}/${links.length}  ` +
        `from encoder ${snapshot.packetsFromEncoder}  dropped (no link) ${snapshot.droppedNoLink}`,
    ),
    columns(['LINK', 'STATE', 'SHARE', 'RATE', 'RTT', 'QUEUE', 'INFLT', 'LOSS10s', 'ALL']),
    ...links.map((link) =>
      columns([
        link.name,
        link.state,
        `${link.sharePercent.toFixed(0)}%`,
        rate(link.rateBitsPerSec),
        ms(link.rttMs),
        ms(link.queueDelayMs),
        String(link.inFlight),
        percent(link.lossPercent),
        percent(link.lifetimeLossPercent),
      ]),
    ),
  );
  return lines;
}
