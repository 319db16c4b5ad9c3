// The stream meter and srt-live-transmit's stats parsing: what the demo's summary and the
// benchmarks report rests on them.
import { describe, expect, it } from 'vitest';
import { StreamMeter, lastSrtStats, quantile, stampedPayload } from '../src/index.js';

describe('StreamMeter', () => {
  it('counts delivered, missing, duplicates and order, and measures delay', () => {
    let now = 1000;
    const meter = new StreamMeter(() => now, 100);
    const sent = [0, 1, 2, 3, 4, 5].map(() => meter.noteSent());
    expect(sent).toEqual([0, 1, 2, 3, 4, 5]);
    const payloads = sent.map((n) => stampedPayload(n, 900 + n));
    now = 1100;
    for (const n of [0, 2, 1, 2, 5]) meter.noteDelivered(payloads[n] ?? Buffer.alloc(0));
    meter.noteDelivered(Buffer.alloc(1316)); // filler: no stamp
    const counts = meter.counts();
    expect(counts).toMatchObject({
      sent: 6,
      delivered: 4,
      missing: 2,
      duplicates: 1,
      outOfOrder: 1,
      unstamped: 1,
      highestDelivered: 5,
    });
    // Delays: 1100 - (900 + n) for n = 0, 2, 1, 5.
    expect(counts.delay).toMatchObject({ samples: 4, p50Ms: 198, maxMs: 200 });
    expect(meter.missingRanges()).toEqual([[3, 4]]);
    expect(meter.takeWindow().delivered).toBe(4);
    expect(meter.takeWindow().delivered).toBe(0);
  });

  it('takes nearest-rank quantiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(values, 0.5)).toBe(50);
    expect(quantile(values, 0.95)).toBe(95);
    expect(quantile([], 0.5)).toBeUndefined();
  });
});

describe('lastSrtStats', () => {
  it("reads the last complete line of srt-live-transmit's JSON stats", () => {
    const line = (packets: number) =>
      JSON.stringify({
        sid: 1,
        link: { rtt: 12.5 },
        send: { packets, packetsRetransmitted: 3, packetsLost: 4, packetsDropped: 0 },
        recv: { packets: 0, packetsRetransmitted: 0, packetsLost: 0, packetsDropped: 0 },
      });
    const text = `${line(10)}\n${line(20)}\n{"sid":1,"send":{"pack`;
    expect(lastSrtStats(text, 'send')).toEqual({
      packets: 20,
      packetsRetransmitted: 3,
      packetsLost: 4,
      packetsDropped: 0,
      rttMs: 12.5,
    });
    expect(lastSrtStats('', 'recv')).toBeUndefined();
  });
});
