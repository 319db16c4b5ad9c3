// adaptive against classic on replayed cellular uplinks (benchmarks.md section 4, "cellular"):
// three links from test/traces with 1-second queues, the stream at 80% of their combined
// mean capacity, a few minutes of virtual time, the same seeds for both. Prints a table and writes
// JSON (BOND_COMPARE_JSON=file). Run with `pnpm test:slow`.
//
// What limits every scheduler here: the simulated bottleneck releases one datagram per trace
// opportunity (made for 1500 bytes; SRT's are 1332), so over these 180 s the links offer about
// 1530 datagrams/s against a stream of 1517/s, and for most seconds less than the stream. A
// share of the stream is lost whatever the scheduler does (a single queue fed to all three links
// with perfect knowledge still loses about 17% when it drops what would wait longer than 300 ms);
// what a scheduler decides is whether those losses cost seconds of delay first.
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
] as const;
const SIMULATED_MS = 180_000;
const SEEDS = [1, 2, 3];
/** SRT latency of the stand-ins: a real listener would drop what arrives later than this. */
const LATENCY_MS = 2000;

const SCHEDULERS = {
  classic: () => new ClassicScheduler(),
  adaptive: () => new AdaptiveScheduler(),
  // The same balancer without its queueing budget (new data is never dropped at the sender;
  // retransmissions still go only where they would not queue): what the budget is worth.
  'adaptive, no budget': () => new AdaptiveScheduler({ maxQueueingMs: Infinity }),
} satisfies Record<string, () => Scheduler>;
type SchedulerName = keyof typeof SCHEDULERS;

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
    encoder: { packetsPerSecond, latencyMs: LATENCY_MS },
    listener: { latencyMs: LATENCY_MS },
    sender: { scheduler: makeScheduler() },
    receiver: { forwardPath: createReorderForwardPath({ mode: 'auto' }) },
  });
  sim.listener.recordDelays = true;
  sim.runUntilTrue(() => linksUp(sim).length === TRACES.length, 10_000);
  const start = sim.now;
  sim.stream(start + SIMULATED_MS);
  sim.runUntil(start + SIMULATED_MS + 3000);
  const delays = [...sim.listener.delays].sort((a, b) => a - b);
  const onTime = delays.filter((delay) => delay <= LATENCY_MS).length;
  const stats = sim.sender.stats(sim.now);
  const mbps = (packets: number) => (packets * 1316 * 8) / (SIMULATED_MS / 1000) / 1e6;
  return {
    packetsPerSecond,
    sent: sim.encoder.sent,
    goodputMbps: mbps(sim.listener.delivered),
    // Delivered within the SRT latency (one-way delay from the original send): what a real
    // listener would have played.
    onTimeMbps: mbps(onTime),
    p50Ms: percentile(delays, 0.5),
    p95Ms: percentile(delays, 0.95),
    // Retransmissions the encoder made (on NAKs), and those that went out on a link.
    retransmissions: sim.encoder.retransmitted,
    retransmissionsSent: stats.links.reduce((sum, link) => sum + link.packetsRetransmitted, 0),
    lost: sim.encoder.sent - sim.listener.delivered,
    droppedAtSender: stats.droppedOverload,
    droppedInQueues: [...sim.links.values()].reduce(
      (sum, link) => sum + link.up.dataCounters.droppedQueue,
      0,
    ),
  };
}

describe('adaptive vs classic on cellular traces', () => {
  it('measures goodput, delay, retransmissions and loss side by side', () => {
    const rows: ({ scheduler: SchedulerName; seed: number } & ReturnType<typeof run>)[] = [];
    for (const seed of SEEDS) {
      for (const [name, make] of Object.entries(SCHEDULERS)) {
        rows.push({ scheduler: name as SchedulerName, seed, ...run(make, seed) });
      }
    }
    const sum = (name: SchedulerName, key: 'p95Ms' | 'goodputMbps') =>
      rows.filter((r) => r.scheduler === name).reduce((total, r) => total + r[key], 0);
    const p95Ratio = sum('adaptive', 'p95Ms') / sum('classic', 'p95Ms');
    const goodputRatio = sum('adaptive', 'goodputMbps') / sum('classic', 'goodputMbps');
    const cell = (value: number | string, width: number, digits = 0) =>
      (typeof value === 'number' ? value.toFixed(digits) : value).padStart(width);
    const lines = [
      `adaptive vs classic: ${TRACES.map((t) => t.file).join(' + ')}, 1 s queues, 80% of mean capacity (${rows[0]?.packetsPerSecond ?? 0} packets/s), ${SIMULATED_MS / 1000} s, SRT latency ${LATENCY_MS} ms`,
      'scheduler           | seed | goodput Mbit/s | on time Mbit/s | p50 ms | p95 ms | retransmissions (sent) | lost  | dropped at sender | dropped in queues',
      ...rows.map((r) =>
        [
          r.scheduler.padEnd(19),
          cell(r.seed, 4),
          cell(r.goodputMbps, 14, 2),
          cell(r.onTimeMbps, 14, 2),
          cell(r.p50Ms, 6),
          cell(r.p95Ms, 6),
          cell(`${r.retransmissions} (${r.retransmissionsSent})`, 22),
          cell(r.lost, 5),
          cell(r.droppedAtSender, 17),
          cell(r.droppedInQueues, 17),
        ].join(' | '),
      ),
      `ratio adaptive/classic (sums over seeds): p95 delay x${p95Ratio.toFixed(2)}, goodput x${goodputRatio.toFixed(3)} (target: at most x0.5, at least x1)`,
    ];
    console.log(lines.join('\n'));
    const jsonFile = process.env.BOND_COMPARE_JSON;
    if (jsonFile !== undefined) {
      writeFileSync(
        jsonFile,
        JSON.stringify({ traces: TRACES, rows, p95Ratio, goodputRatio }, null, 2),
      );
    }
    expect(rows).toHaveLength(SEEDS.length * Object.keys(SCHEDULERS).length);
    // Virtual time and fixed seeds: these are results, not timings, and they are the issue's
    // target (adaptive's p95 one-way delay at most half of classic's, with no less goodput).
    expect(p95Ratio).toBeLessThanOrEqual(0.5);
    expect(goodputRatio).toBeGreaterThanOrEqual(1);
  }, 600_000);
});
