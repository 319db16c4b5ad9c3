/**
 * The balancer's interface: which link each encoder datagram goes to (architecture.md, "The three
 * algorithms"). The sender engine owns links, in-flight counts and the sent-packet log; a scheduler
 * owns only its own per-link state and is told what happened through the `on*` hooks.
 *
 * Every hook is called on the hot path: no allocation, no closures per call.
 */

/** What a scheduler may read about a link. The engine keeps these fields current. */
export interface SchedulerLink {
  /** Dense index, stable for the link's lifetime; use it to index per-link arrays. */
  readonly index: number;
  /** The runtime's link id. */
  readonly id: number;
  /** Registered (REG3 received) and not timed out: may carry data. */
  readonly up: boolean;
  /** User priority in percent: 100 normal, 0 disables the link. */
  readonly priority: number;
  /** Data packets sent on this link and not yet acknowledged (SRTLA ACK or SRT ACK). */
  readonly inFlight: number;
  /** Smoothed RTT in ms, undefined before the first keepalive echo. */
  readonly srttMs: number | undefined;
}

/** What the engine knows about the datagram being scheduled. */
export interface PacketHint {
  /** An SRT data packet (false for SRT control). */
  isData: boolean;
  /**
   * The R flag is set, or this seq was sent before, or it is new data the scheduler refused
   * before that the sender offers again (deferred: a repair, scheduled like a retransmission).
   */
  retransmit: boolean;
  /** Index of the link that carried this seq before, or -1. */
  previousLink: number;
  /**
   * How long ago the encoder first sent this data packet, ms: its SRT timestamp against the
   * newest new data packet's (whose timestamp is taken as "now" on the encoder's clock), so a
   * retransmission's age says how much of the SRT latency it has left. 0 for new data; undefined
   * when unknown (control packets, no new data seen yet).
   */
  ageMs?: number | undefined;
}

export interface Scheduler {
  /** `classic` or `adaptive`; shown in stats. */
  readonly name: string;
  /** A link was added at `now` (starts down). */
  addLink(now: number, link: SchedulerLink): void;
  /** A link was removed; forget its state. */
  removeLink(link: SchedulerLink): void;
  /** The link came up: after its first REG3, or again after timing out (`afterTimeout`). */
  linkUp(now: number, link: SchedulerLink, afterTimeout: boolean): void;
  /** The link stopped earning proof of life and was taken down. */
  linkDown(now: number, link: SchedulerLink): void;
  /**
   * Picks the link for the next datagram of `bytes` bytes from `links` (all links, up or not), or
   * undefined when none may carry it. `packet` says whether it is an SRT retransmission and which
   * link carried the original (the object is reused: read it during the call only).
   */
  select(
    now: number,
    links: readonly SchedulerLink[],
    bytes: number,
    packet: PacketHint,
  ): SchedulerLink | undefined;
  /** A data packet was sent on `link`. */
  onSent(now: number, link: SchedulerLink, seq: number, bytes: number): void;
  /**
   * The receiver acknowledged `seq` on `link` (an SRTLA ACK); `carried` is true when the sent log
   * shows this link carried it (in-flight was decremented), `sentAt` its send time if known.
   */
  onSrtlaAck(
    now: number,
    link: SchedulerLink,
    seq: number,
    carried: boolean,
    sentAt: number | undefined,
    links: readonly SchedulerLink[],
  ): void;
  /**
   * After all the seqs of one SRTLA ACK were passed to `onSrtlaAck`: `sentByLink` of them were sent
   * on `link` (whatever the SRT ACKs cleared since), the newest of those that were sent only once
   * at `newestSentAt` (undefined when none: an ACK of a retransmitted seq may be for an earlier
   * copy, so it gives no delay sample).
   */
  onSrtlaAckDone(
    now: number,
    link: SchedulerLink,
    sentByLink: number,
    newestSentAt: number | undefined,
  ): void;
  /**
   * The SRT listener reported `seq` lost and `link` carried it. Called for every copy of a NAK
   * (the receiver sends one per link); `firstCopy` is false for the repeats.
   */
  onSrtNak(now: number, link: SchedulerLink, seq: number, firstCopy: boolean): void;
  /** A keepalive echo came back on `link`: the uplink delivered something `rttMs` ago. */
  onKeepaliveEcho(now: number, link: SchedulerLink, rttMs: number): void;
  /**
   * Optional. The stream's SRT latency as the caller and listener agreed on it in their HSv5
   * handshake (srt-latency.ts), ms, once seen and whenever it changes; undefined when a new
   * connection's handshake carries none (not live mode). Not called without an HSv5 handshake.
   */
  onSrtLatency?(now: number, latencyMs: number | undefined): void;
  /**
   * Optional. The longest a new data packet may be expected to queue on a link before the
   * scheduler drops it at the sender, ms; undefined (or no method) when it never drops.
   */
  queueingBudgetMs?(): number | undefined;
  /** The link's window for telemetry, in x1000 packet units (as the extended keepalive carries). */
  window(link: SchedulerLink): number;
  /** Plain-data state for stats, as of `now`. */
  stats(now: number): unknown;
}
