/**
 * The SRT latency (TSBPD delay) an HSv5 conclusion handshake carries, and the sender's queueing
 * budget derived from it.
 *
 * ```
 * HSREQ (caller -> listener) and HSRSP (listener -> caller) extension blocks, 3 words:
 *   word 0  SRT version
 *   word 1  SRT flags (0x02 TSBPDRCV: the side receives with TSBPD)
 *   word 2  bits 31..16 receiver TSBPD delay, bits 15..0 sender TSBPD delay, ms
 * ```
 *
 * For the stream bond carries (caller -> listener) the latency that counts is the listener's
 * receive delay. The caller's HSREQ proposes it (its sender TSBPD delay, SRT's `peerlatency`); the
 * listener takes the larger of that and its own `latency` and answers it as its receiver delay in
 * HSRSP: the agreed value.
 *
 * Read by the receiver (srt-feedback.ts: the latency the listener answered) and by the sender
 * (sender-data-path.ts: the budget below).
 */
import {
  SRT_CONTROL,
  SRT_HANDSHAKE_EXTENSION,
  SRT_HANDSHAKE_LENGTH,
  SRT_HANDSHAKE_OFFSET,
  SRT_HANDSHAKE_TYPE,
  decodeSrtHandshakeExtensions,
} from '@bond/wire';

/** Bytes of an HSREQ/HSRSP block: SRT version, flags, the two TSBPD delays (3 words). */
const HS_BLOCK_BYTES = 12;
/** 5: the handshake version that carries extension blocks. */
const HSV5 = 5;
/** SRT_OPT_TSBPDRCV: the block's sender receives with TSBPD (live mode). */
const FLAG_TSBPD_RECEIVE = 0x02;
/** SRT_OPT_TSBPDSND: the block's sender sends with TSBPD (live mode). */
const FLAG_TSBPD_SEND = 0x01;

/** What one HSREQ or HSRSP block says. */
export interface SrtTsbpdDelays {
  /** `SRT_HANDSHAKE_EXTENSION.HSREQ` (from the caller) or `.HSRSP` (from the listener). */
  readonly type: number;
  /**
   * The latency of the caller -> listener direction, ms: in HSRSP the listener's receiver delay
   * (agreed), in HSREQ the caller's sender delay (proposed; the agreed one is at least this).
   * Undefined when the block's flags say that side does not use TSBPD (not live mode).
   */
  readonly latencyMs: number | undefined;
}

/**
 * The HSREQ or HSRSP block of an HSv5 conclusion handshake datagram (SRT header included), or
 * undefined for any other datagram (data, other control, induction, HSv4, a conclusion without
 * either block). Cheap for everything but handshakes. Throws WireDecodeError when the extension
 * blocks are malformed.
 */
export function readSrtTsbpdDelays(datagram: Uint8Array): SrtTsbpdDelays | undefined {
  if (datagram.length <= SRT_HANDSHAKE_LENGTH) return undefined;
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  if (view.getUint16(0) !== SRT_CONTROL.HANDSHAKE) return undefined;
  if (view.getUint32(SRT_HANDSHAKE_OFFSET.version) !== HSV5) return undefined;
  if (view.getUint32(SRT_HANDSHAKE_OFFSET.handshakeType) !== SRT_HANDSHAKE_TYPE.CONCLUSION) {
    return undefined;
  }
  for (const block of decodeSrtHandshakeExtensions(datagram)) {
    const request = block.type === SRT_HANDSHAKE_EXTENSION.HSREQ;
    if (!request && block.type !== SRT_HANDSHAKE_EXTENSION.HSRSP) continue;
    if (block.contents.length < HS_BLOCK_BYTES) continue;
    const contents = new DataView(
      block.contents.buffer,
      block.contents.byteOffset,
      block.contents.byteLength,
    );
    const flags = contents.getUint32(4);
    const tsbpd = (flags & (request ? FLAG_TSBPD_SEND : FLAG_TSBPD_RECEIVE)) !== 0;
    return {
      type: block.type,
      latencyMs: tsbpd ? contents.getUint16(request ? 10 : 8) : undefined,
    };
  }
  return undefined;
}

/**
 * How the adaptive scheduler's queueing budget (`maxQueueingMs`: the longest a new packet may
 * wait in a link's queue before the sender holds it back instead) follows the SRT latency.
 *
 * A packet queued for the whole budget still arrives in time, but one the links then lose (a
 * queue drop, a loss) or the sender could not place must be NAKed, retransmitted and carried
 * within what is left of the latency: the listener notices the gap when the next packet arrives
 * (another queue wait) and the receiver's reorder hold runs out, its NAK takes half an RTT back,
 * and the retransmission a one-way delay and its own short queue forward; cellular RTTs run to
 * several hundred ms. So the budget is a quarter of the first second of latency (250 ms of 1 s,
 * 30 -> 50 ms of SRT's default 120 ms) and a twentieth of the rest (300 ms of 2 s, 400 ms of 4 s).
 * Beyond the first second, a longer queue delays every packet, the detection of every gap and the
 * receiver's hold (which follows the links' delay skew) for little more delivered. In the
 * simulator's versions of the quality benchmark's trace scenarios
 * (test/slow/oracle-scenarios.test.ts, 3 seeds, medians), with a 2 s latency, 500 ms (a quarter
 * of all of it) delivered 97.6% and 99.0% of the oracle on weak and fading at a p95 delay of
 * x0.77 and x0.63 classic's, 300 ms 97.9% and 99.1% at x0.63 and x0.50; with 4 s, 400 ms
 * delivered 0.8 points less than 1 s on the cellular traces at under half the p95 delay.
 */
export const QUEUEING_BUDGET = {
  /** The budget's share of the first {@link QUEUEING_BUDGET.fullShareMs} of the latency... */
  latencyFraction: 0.25,
  /** ...1000 ms... */
  fullShareMs: 1000,
  /** ...and its share of the latency beyond that. */
  beyondFraction: 0.05,
  /** 250 ms: without a latency (no HSv5 handshake seen, or not live mode): well inside 1-3 s. */
  fallbackMs: 250,
  /** 50 ms: the least budget (a latency of 0-200 ms); about two of the links' delay targets. */
  minMs: 50,
  /** 2000 ms: the most (latencies above 36 s): no live stream wants more queueing than this. */
  maxMs: 2000,
} as const;

/**
 * The queueing budget for an agreed SRT latency of `latencyMs` ({@link QUEUEING_BUDGET}), ms;
 * the fallback for undefined or a value that is no latency (negative, not a number).
 */
export function queueingBudgetMs(latencyMs: number | undefined): number {
  if (latencyMs === undefined || !(latencyMs >= 0) || !Number.isFinite(latencyMs)) {
    return QUEUEING_BUDGET.fallbackMs;
  }
  const first = Math.min(latencyMs, QUEUEING_BUDGET.fullShareMs);
  const rest = latencyMs - first;
  const budget = Math.round(
    first * QUEUEING_BUDGET.latencyFraction + rest * QUEUEING_BUDGET.beyondFraction,
  );
  return Math.min(QUEUEING_BUDGET.maxMs, Math.max(QUEUEING_BUDGET.minMs, budget));
}
