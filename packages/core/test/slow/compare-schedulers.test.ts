// adaptive against classic on replayed cellular uplinks (benchmarks.md section 4, "cellular"):
// three links from ../shared/traces with 1-second queues, the stream at 80% of their combined
// mean capacity, a few minutes of virtual time, the same seeds for both. Prints a table and writes
// JSON (BOND_COMPARE_JSON=file). Run with `pnpm test:slow`.
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveScheduler,
  ClassicScheduler,
  createReorderForwardPath,
  type Scheduler,
} from '../../src/index.js';
import { loadTrace } from '../sim/sim-path.js';
import { linksUp } from '../sim/scenario.js';
import { Simulation } from '../sim/simulation.js';

const TRACES = [
  { file: 'TMobile-LTE-short.up', meanMbps: 13.3, delayMs: 40 },
  { file: 'Verizon-LTE-short.up', meanMbps: 6.0, delayMs: 50 },
  { file: 'TMobile-UMTS-driving.up', meanMbps: 0.9, delayMs: 70 },
];
const SIMULATED_MS = 180_000;
const SEEDS = [1, 2, 3];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

function run(makeScheduler: () => Scheduler, seed: number) {
  const combinedBytesPerSec = TRACES.reduce((sum, t) => sum + (t.meanMbps * 1e6) / 8, 0);
  const packetsPerSecond = Math.round((0.8 * combinedBytesPerSec) / 1332);
  const sim = new Simulation({
    seed,
    links: TRACES.map((trace, index) => ({
      id: index + 1,
      up: {
        delayMs: trace.delayMs,
        // Jitter (never reordering) makes each seed a different run over the same traces.
        jitterMs: 10,
        trace: loadTrace(trace.file),
        // 1 second of the trace's mean capacity.
        queueBytes: (trace.meanMbps * 1e6) / 8,
      },
    })),
    encoder: { packetsPerSecond, latencyMs: 2000 },
    listener: { latencyMs: 2000 },
    sender: { scheduler: makeScheduler() },
    receiver: { forwardPath: createReorderForwardPath({ mode: 'auto' }) },
  });
  sim.listener.recordDelays = true;
  sim.runUntilTrue(() => linksUp(sim).length === TRACES.length, 10_000);
  const start = sim.now;
  sim.stream(start + SIMULATED_MS);
  sim.runUntil(start + SIMULATED_MS + 3000);
  const delays = [...sim.listener.delays].sort((a, b) => a - b);
  const lost = sim.encoder.sent - sim.listener.delivered;
  return {
    packetsPerSecond,
    sent: sim.encoder.sent,
    goodputMbps: (sim.listener.delivered * 1316 * 8) / (SIMULATED_MS / 1000) / 1e6,
    p50Ms: percentile(delays, 0.5),
    p95Ms: percentile(delays, 0.95),
    retransmissions: sim.encoder.retransmitted,
    lost,
  };
}

describe('adaptive vs classic on cellular traces', () => {
  it('measures goodput, delay, retransmissions and loss side by side', () => {
    const rows: Record<string, unknown>[] = [];
    const sum = { adaptive: { p95: 0, goodput: 0 }, classic: { p95: 0, goodput: 0 } };
    for (const seed of SEEDS) {
      for (const [name, make] of [
        ['classic', () => new ClassicScheduler()],
        ['adaptive', () => new AdaptiveScheduler()],
      ] as const) {
        const result = run(make, seed);
        rows.push({ scheduler: name, seed, ...result });
        sum[name].p95 += result.p95Ms;
        sum[name].goodput += result.goodputMbps;
      }
    }
    const lines = [
      `adaptive vs classic: ${TRACES.map((t) => t.file).join(' + ')}, 1 s queues, 80% of mean capacity, ${SIMULATED_MS / 1000} s`,
      'scheduler | seed | goodput Mbit/s | p50 ms | p95 ms | retransmissions | lost',
      ...rows.map(
        (r) =>
          `${String(r.scheduler).padEnd(9)} | ${String(r.seed).padStart(4)} | ${(r.goodputMbps as number).toFixed(2).padStart(14)} | ${(r.p50Ms as number).toFixed(0).padStart(6)} | ${(r.p95Ms as number).toFixed(0).padStart(6)} | ${String(r.retransmissions).padStart(15)} | ${String(r.lost).padStart(5)}`,
      ),
      `ratio adaptive/classic (mean over seeds): p95 delay x${(sum.adaptive.p95 / sum.classic.p95).toFixed(2)}, goodput x${(sum.adaptive.goodput / sum.classic.goodput).toFixed(3)}`,
    ];
    console.log(lines.join('\n'));
    const jsonFile = process.env.BOND_COMPARE_JSON;
    if (jsonFile !== undefined)
      writeFileSync(jsonFile, JSON.stringify({ traces: TRACES, rows }, null, 2));
    // A benchmark, not a target check: it must only have produced numbers for both.
    expect(rows).toHaveLength(SEEDS.length * 2);
    for (const row of rows) expect(row.goodputMbps).toBeGreaterThan(0);
  }, 600_000);
});
