// The quality benchmark's oracle (bench/lib/oracle.mjs) and its derived traces: what the links
// could carry, placing each packet where it arrives first, on linkem's own bottleneck model.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { oracleDelivered } from '../bench/lib/oracle.mjs';
import { TRACES_DIR, derivedTrace, scenario, traceMeanBps } from '../bench/lib/quality.mjs';

const WIRE = 1332;
/** One 1332-byte packet at 1 Mbit/s takes 10.656 ms. */
const SLOT_MS = (WIRE * 8) / 1000;

const folder = mkdtempSync(join(tmpdir(), 'bond-oracle-'));
afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('oracle', () => {
  it('delivers everything when the links together carry the stream', () => {
    const result = oracleDelivered({
      links: [
        { name: 'a', up: { rateBps: 1e6, delayMs: 20 } },
        { name: 'b', up: { rateBps: 1e6, delayMs: 40 } },
      ],
      packets: 1000,
      intervalMs: SLOT_MS / 2,
      startMs: 0,
      wireBytes: WIRE,
      latencyMs: 200,
    });
    expect(result.delivered).toBe(1000);
    expect((result.perLink.a ?? 0) + (result.perLink.b ?? 0)).toBe(1000);
    // The faster link carries at least half: it is chosen whenever it is as free.
    expect(result.perLink.a).toBeGreaterThanOrEqual(500);
  });

  it('one link at half the stream: about half, plus what the latency lets queue', () => {
    const latencyMs = 300;
    const result = oracleDelivered({
      links: [{ name: 'a', up: { rateBps: 1e6, delayMs: 0 } }],
      packets: 2000,
      intervalMs: SLOT_MS / 2,
      startMs: 0,
      wireBytes: WIRE,
      latencyMs,
    });
    // 2000 packets over 10.656 s; the link serves one per 10.656 ms: 1000, and a packet may wait
    // up to the latency, so those sent in the last 300 ms still make it.
    expect(result.delivered).toBeGreaterThanOrEqual(1000);
    expect(result.delivered).toBeLessThanOrEqual(1000 + Math.ceil(latencyMs / SLOT_MS) + 1);
    expect(result.fraction).toBeCloseTo(result.delivered / 2000, 9);
    expect(result.delay.p95Ms).toBeLessThanOrEqual(latencyMs);
  });

  it('counts nothing a link delivers after the latency, and respects the queue limit', () => {
    const base = { packets: 100, intervalMs: 5, startMs: 0, wireBytes: WIRE };
    expect(
      oracleDelivered({ ...base, links: [{ name: 'far', up: { delayMs: 300 } }], latencyMs: 200 })
        .delivered,
    ).toBe(0);
    // 0.5 Mbit/s: 21.3 ms per packet, a packet every 5 ms; a 50 ms queue takes about 3 waiting.
    const queued = oracleDelivered({
      ...base,
      links: [{ name: 'slow', up: { rateBps: 0.5e6, delayMs: 0, queueMs: 50 } }],
      latencyMs: 5000,
    });
    const unlimited = oracleDelivered({
      ...base,
      links: [{ name: 'slow', up: { rateBps: 0.5e6, delayMs: 0 } }],
      latencyMs: 5000,
    });
    expect(unlimited.delivered).toBe(100);
    expect(queued.delivered).toBeLessThan(40);
    expect(queued.delivered).toBeGreaterThan(20);
  });

  it('replays a trace as linkem does: 1500-byte opportunities, idle ones lost', () => {
    // An opportunity every 10 ms for 1 s: 1.2 Mbit/s.
    const file = join(folder, 'every-10ms.up');
    writeFileSync(file, `${Array.from({ length: 100 }, (_, i) => (i + 1) * 10).join('\n')}\n`);
    const sparse = oracleDelivered({
      links: [{ name: 't', up: { trace: file, delayMs: 0 } }],
      packets: 50,
      intervalMs: 20,
      startMs: 0,
      wireBytes: WIRE,
      latencyMs: 1000,
    });
    // One packet per 20 ms: each leaves at the next opportunity, 0 to 10 ms later.
    expect(sparse.delivered).toBe(50);
    expect(sparse.delay.p95Ms).toBeLessThanOrEqual(10);
    const dense = oracleDelivered({
      links: [{ name: 't', up: { trace: file, delayMs: 0 } }],
      packets: 200,
      intervalMs: 1,
      startMs: 0,
      wireBytes: WIRE,
      latencyMs: 100,
    });
    // 1332 of each 1500 bytes and the rest carried over: 9 packets per 8 opportunities (80 ms);
    // the first 200 ms of packets can use opportunities up to 300 ms: about 33 packets.
    expect(dense.delivered).toBeGreaterThanOrEqual(30);
    expect(dense.delivered).toBeLessThanOrEqual(35);
  });
});

describe('derived traces and the trace scenarios', () => {
  it('thins a trace to the weight asked for, keeping it a valid trace', () => {
    const source = join(TRACES_DIR, 'Verizon-LTE-short.up');
    const quarter = derivedTrace(source, 'test-Verizon-quarter', 60, () => 0.25);
    const ratio = traceMeanBps(quarter, 0, 60) / traceMeanBps(source, 0, 60);
    expect(ratio).toBeGreaterThan(0.24);
    expect(ratio).toBeLessThan(0.26);
    const offsets = readFileSync(quarter, 'utf8').trim().split('\n').map(Number);
    expect(offsets.every((value, i) => i === 0 || value >= (offsets[i - 1] ?? 0))).toBe(true);
    expect(offsets.at(-1)).toBe(60_000);
  });

  it('weak runs the stream at 90% of its three links, fading at 80%, both against the oracle', () => {
    const weak = scenario('weak', { seconds: 20, reorder: 'auto', skewFixedMs: 350 }) as {
      oracle?: boolean;
      links: unknown[];
      bitrateBps: number;
      capacityBps: number;
      latencyMs?: number;
    };
    expect(weak.oracle).toBe(true);
    expect(weak.links).toHaveLength(3);
    expect(weak.bitrateBps / weak.capacityBps).toBeCloseTo(0.9, 3);
    expect(weak.latencyMs).toBe(2000);
    const fading = scenario('fading', { seconds: 20, reorder: 'auto', skewFixedMs: 350 }) as {
      links: { up: { trace?: string } }[];
      bitrateBps: number;
      capacityBps: number;
    };
    const strong = fading.links[0]?.up.trace ?? '';
    // The strong link fades: its capacity in the last 5 s is a fraction of the first 5 s.
    expect(traceMeanBps(strong, 18, 23)).toBeLessThan(0.3 * traceMeanBps(strong, 3, 8));
    expect(fading.bitrateBps / fading.capacityBps).toBeCloseTo(0.8, 3);
  });
});
