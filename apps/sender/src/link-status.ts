/**
 * One row per link for the live view, the status log lines and their tests: state, share of the
 * sending rate, rate, RTT, queueing delay, in flight and loss, computed from a `SenderSnapshot`.
 */
import type { SenderSnapshot } from '@bond/runtime';

export interface LinkStatus {
  readonly id: number;
  readonly name: string;
  readonly address: string;
  /** The socket's state while it is not open (`opening`, `failed`), else core's link state. */
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
  /** Packets the receiver NAKed over packets sent, percent. */
  readonly lossPercent: number;
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

export function linkStatuses(snapshot: SenderSnapshot, floor: RttFloor): LinkStatus[] {
  const total = snapshot.links.reduce(
    (sum, link) => sum + (link.engine?.sendRateBytesPerSec ?? 0),
    0,
  );
  floor.keep(new Set(snapshot.links.map((link) => link.id)));
  return snapshot.links.map((link) => {
    const engine = link.engine;
    const rate = engine?.sendRateBytesPerSec ?? 0;
    const sent = engine?.packetsSent ?? 0;
    return {
      id: link.id,
      name: link.name,
      address: link.bindAddress,
      state: link.socket.state === 'open' ? (engine?.state ?? 'idle') : link.socket.state,
      priority: link.priority,
      sharePercent: total > 0 ? (100 * rate) / total : 0,
      rateBitsPerSec: rate * 8,
      rttMs: engine?.srttMs,
      queueDelayMs: queueDelay(floor, link.id, engine?.srttMs, engine?.report?.queueingDelayUs),
      inFlight: engine?.inFlight ?? 0,
      lossPercent: sent > 0 ? (100 * (engine?.packetsNaked ?? 0)) / sent : 0,
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

/** The live view's lines: a summary, a header, and one line per link. */
export function formatStatusLines(
  snapshot: SenderSnapshot,
  links: readonly LinkStatus[],
): string[] {
  const summary =
    `bond-sender ${snapshot.listen} -> ${snapshot.receiver} (${snapshot.receiverKind})  ` +
    `${snapshot.phase}  links up ${snapshot.linksUp}/${links.length}  ` +
    `from encoder ${snapshot.packetsFromEncoder} pkts, dropped (no link) ${snapshot.droppedNoLink}` +
    (snapshot.linksUp === 0 ? '  ALL LINKS DOWN' : '');
  const columns = (cells: readonly string[]) =>
    [
      (cells[0] ?? '').padEnd(16),
      (cells[1] ?? '').padEnd(12),
      ...cells.slice(2).map((cell) => cell.padStart(11)),
    ].join(' ');
  return [
    summary,
    columns(['LINK', 'STATE', 'SHARE', 'RATE', 'RTT', 'QUEUE', 'IN FLIGHT', 'LOSS']),
    ...links.map((link) =>
      columns([
        link.name,
        link.state,
        `${link.sharePercent.toFixed(0)}%`,
        rate(link.rateBitsPerSec),
        ms(link.rttMs),
        ms(link.queueDelayMs),
        String(link.inFlight),
        `${link.lossPercent.toFixed(1)}%`,
      ]),
    ),
  ];
}
