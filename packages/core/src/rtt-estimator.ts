/**
 * Smoothed round-trip time and its variation, RFC 6298 style (gains 1/8 and 1/4). Samples come
 * from keepalive echoes (protocol.md 5: accepted when 0 < RTT <= 10 s).
 */
import { settleFields } from './settle-fields.js';

export class RttEstimator {
  /** Smoothed RTT in ms; undefined until the first sample. */
  smoothedMs: number | undefined;
  /** RTT variation in ms. */
  variationMs = 0;
  /** The most recent accepted sample, ms. */
  latestMs: number | undefined;
  /** Smallest accepted sample since creation, ms. */
  minMs: number | undefined;
  samples = 0;

  constructor() {
    settleFields(this);
  }

  /** Adds a sample; returns false (ignoring it) unless 0 < rttMs <= maxMs. */
  addSample(rttMs: number, maxMs = 10_000): boolean {
    if (!(rttMs > 0 && rttMs <= maxMs)) return false;
    this.samples++;
    this.latestMs = rttMs;
    this.minMs = this.minMs === undefined ? rttMs : Math.min(this.minMs, rttMs);
    if (this.smoothedMs === undefined) {
      this.smoothedMs = rttMs;
      this.variationMs = rttMs / 2;
    } else {
      this.variationMs = 0.75 * this.variationMs + 0.25 * Math.abs(this.smoothedMs - rttMs);
      this.smoothedMs = 0.875 * this.smoothedMs + 0.125 * rttMs;
    }
    return true;
  }

  reset(): void {
    this.smoothedMs = undefined;
    this.variationMs = 0;
    this.latestMs = undefined;
    this.minMs = undefined;
    this.samples = 0;
  }
}
