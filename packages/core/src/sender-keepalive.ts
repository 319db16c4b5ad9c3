/**
 * Keepalives on the sender's links (protocol.md 5, 5.1): the extended keepalive with bond's
 * telemetry trailer that goes out every interval on each up link, and what its echo says (an RTT
 * sample, proof that the link can send, and the receiver's kind and report).
 */
import {
  KEEPALIVE_MAX_RTT_MS,
  WireDecodeError,
  decodeKeepalive,
  encodeKeepalive,
  type BondTrailer,
} from '@bond/wire';
import type { Scheduler } from './scheduler.js';
import type { SenderLink } from './sender-link.js';
import type { SenderOutbox } from './sender-outbox.js';

export class SenderKeepalives {
  constructor(
    private readonly scheduler: Scheduler,
    private readonly outbox: SenderOutbox,
    private readonly intervalMs: number,
    private readonly telemetry: boolean,
  ) {}

  /** Sends `link`'s keepalive, schedules the next; `totalSent`: datagrams sent on all links. */
  send(now: number, link: SenderLink, totalSent: number): void {
    const elapsed = now - link.rateSampleAt;
    if (elapsed > 0) {
      link.sendRate = ((link.bytesSent - link.rateSampleBytes) * 1000) / elapsed;
      link.rateSampleAt = now;
      link.rateSampleBytes = link.bytesSent;
    }
    const window = this.scheduler.window(link);
    const info = {
      connId: link.id >>> 0,
      window,
      inFlight: link.inFlight,
      rttMs: Math.round(link.rtt.smoothedMs ?? 0),
      nakCount: link.packetsNaked,
      bitrateBytesPerSec: Math.round(link.sendRate),
    };
    const bytes = this.telemetry
      ? encodeKeepalive({
          timestampMs: Math.floor(now),
          info,
          trailer: { body: 'sender', sender: link.telemetry(window, totalSent) },
        })
      : encodeKeepalive({ timestampMs: Math.floor(now), info });
    this.outbox.send(link.id, bytes);
    link.nextKeepaliveAt = now + this.intervalMs;
  }

  /** A keepalive came back on `link`. */
  echoed(now: number, link: SenderLink, bytes: Uint8Array): void {
    const keepalive = decodeKeepaliveSafe(bytes);
    link.lastHeardAt = now;
    if (keepalive?.timestampMs === undefined) return;
    const rtt = now - keepalive.timestampMs;
    if (!link.rtt.addSample(rtt, KEEPALIVE_MAX_RTT_MS)) return;
    link.proved(now);
    if (link.state === 'up') this.scheduler.onKeepaliveEcho(now, link, rtt);
    if (keepalive.info === undefined) return;
    const trailer: BondTrailer | undefined = keepalive.trailer;
    let kind = link.receiver;
    if (trailer?.body === 'receiver') {
      kind = 'bond';
      link.report = trailer.receiver;
    } else if (this.telemetry) {
      // Our trailer came back unchanged (or was cut): the receiver is not bond.
      kind = 'legacy';
    }
    if (kind !== link.receiver) {
      link.receiver = kind;
      this.outbox.event({ type: 'receiver-kind', linkId: link.id, kind });
    }
  }
}

function decodeKeepaliveSafe(bytes: Uint8Array): ReturnType<typeof decodeKeepalive> | undefined {
  try {
    return decodeKeepalive(bytes);
  } catch (error) {
    if (error instanceof WireDecodeError) return undefined;
    throw error;
  }
}
