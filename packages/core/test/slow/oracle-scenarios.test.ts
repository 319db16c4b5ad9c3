// The quality benchmark's trace scenarios (tooling/bench/lib/quality.mjs: cellular, weak, fading)
// in the simulator, with the same kind of oracle (tooling/bench/lib/oracle.mjs) on the simulator's
// bottleneck model: for iterating on the scheduler in seconds instead of minutes. Figures are the
// simulator's, not the benchmark's (its trace model releases one datagram per opportunity and
// loses unused ones; its SRT stand-ins are simpler), 20 s of stream each. Prints a table;
// BOND_ORACLE_JSON=file writes the rows. Run with
//   BOND_SLOW=1 npx vitest run --project packages/core test/slow/oracle-scenarios.test.ts
// and pick with BOND_ORACLE_SCENARIOS=weak,fading, BOND_ORACLE_SEEDS=1,2,3, BOND_ORACLE_ONLY=adaptive;
// BOND_ORACLE_LATENCY=ms replaces the scenarios' SRT latency, BOND_ORACLE_BUDGET=0.15 sets
// adaptive's queueing budget to that share of it (default: queueingBudgetMs of the latency).
import { writeFileSync } from 'node:fs';
import { peekSrtDataSeq, peekSrtTimestamp } from '@bond/wire';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveScheduler,
  ClassicScheduler,
  createReorderForwardPath,
  queueingBudgetMs,
  type Scheduler,
} from '../../src/index.js';
import { loadTrace } from '../sim/sim-path.js';
import { linksUp } from '../sim/scenario.js';
import { Simulation } from '../sim/simulation.js';
import type { TraceFileName } from '../traces.js';

const STREAM_MS = 20_000;
const DELAY_MS = 30;
const WIRE_BYTES = 1332;

interface ScenarioLink {
  readonly trace: Float64Array;
}
interface OracleScenario {
  readonly links: readonly ScenarioLink[];
  readonly share: number;
  readonly latencyMs: number;
}

/** The trace thinned by `keep(tS)` (a running sum, as quality.mjs's derivedTrace), over `lengthS`. */
function derived(name: TraceFileName, lengthS: number, keep: (tS: number) => number): Float64Array {
  const offsets = loadTrace(name);
  const period = offsets[offsets.length - 1] ?? 1;
  const lines: number[] = [];
  let sum = 0;
  for (let repeat = 0; repeat * period < lengthS * 1000; repeat++) {
    for (const offset of offsets) {
      const at = repeat * period + offset;
      if (at >= lengthS * 1000) break;
      sum += Math.min(1, Math.max(0, keep(at / 1000)));
      if (sum >= 1) {
        sum -= 1;
        lines.push(at);
      }
    }
  }
  if (lines.length === 0 || (lines.at(-1) ?? 0) < lengthS * 1000) lines.push(lengthS * 1000);
  return Float64Array.from(lines);
}

function scenarioOf(name: string): OracleScenario {
  const scenario = baseScenarioOf(name);
  const latency = process.env.BOND_ORACLE_LATENCY;
  return latency === undefined ? scenario : { ...scenario, latencyMs: Number(latency) };
}

function baseScenarioOf(name: string): OracleScenario {
  const t = (file: TraceFileName) => ({ trace: loadTrace(file) });
  switch (name) {
    case 'cellular':
      return {
        links: [
          t('TMobile-LTE-short.up'),
          t('Verizon-LTE-short.up'),
          t('ATT-LTE-driving.up'),
          t('TMobile-UMTS-driving.up'),
        ],
        share: 0.8,
        latencyMs: 1000,
      };
    case 'weak':
      return {
        links: [
          t('ATT-LTE-driving.up'),
          t('TMobile-UMTS-driving.up'),
          { trace: derived('Verizon-LTE-short.up', 140, () => 0.25) },
        ],
        share: 0.9,
        latencyMs: 2000,
      };
    case 'fading': {
      const from = 0.5;
      const to = STREAM_MS / 1000 + 0.5;
      return {
        links: [
          {
            trace: derived(
              'TMobile-LTE-short.up',
              to + 60,
              (tS) => 0.5 * (1 - 0.95 * Math.min(1, Math.max(0, (tS - from) / (to - from)))),
            ),
          },
          t('ATT-LTE-driving.up'),
          t('TMobile-UMTS-driving.up'),
        ],
        share: 0.8,
        latencyMs: 2000,
      };
    }
    default:
      throw new Error(`unknown scenario ${name}`);
  }
}

/** Opportunities of `trace` in [fromMs, toMs) (the trace repeating). */
function opportunities(trace: Float64Array, fromMs: number, toMs: number): number {
  const period = trace[trace.length - 1] ?? 1;
  let count = 0;
  for (let repeat = Math.floor(fromMs / period); repeat * period < toMs; repeat++) {
    for (const offset of trace) {
      const at = repeat * period + offset;
      if (at >= fromMs && at < toMs) count++;
    }
  }
  return count;
}

/** The trace's mean, bytes/s over [fromMs, toMs). */
function meanBytesPerSec(trace: Float64Array, fromMs: number, toMs: number): number {
  return (opportunities(trace, fromMs, toMs) * 1500 * 1000) / (toMs - fromMs);
}

/**
 * The oracle on the simulator's bottleneck (one datagram per opportunity, unused ones lost, a
 * byte-limited queue): each packet to the link where it arrives first; counts if within latency.
 */
function oracle(
  scenario: OracleScenario,
  queueBytes: readonly number[],
  startMs: number,
  packetsPerSecond: number,
): { delivered: number; sent: number; p95Ms: number } {
  const links = scenario.links.map((link, index) => ({
    trace: link.trace,
    period: link.trace[link.trace.length - 1] ?? 1,
    // The next unused opportunity (as SimPath walks them: one datagram each, in line order).
    index: 0,
    epoch: 0,
    departures: [] as number[],
    queueBytes: queueBytes[index] ?? 0,
  }));
  const at = (link: (typeof links)[number]) =>
    link.epoch * link.period + (link.trace[link.index] ?? 0);
  const advance = (link: (typeof links)[number]) => {
    link.index++;
    if (link.index >= link.trace.length) {
      link.index = 0;
      link.epoch++;
    }
  };
  const count = Math.round((packetsPerSecond * STREAM_MS) / 1000);
  let delivered = 0;
  const delays: number[] = [];
  for (let n = 0; n < count; n++) {
    const t = startMs + (n * 1000) / packetsPerSecond;
    let bestArrival = Infinity;
    let best: (typeof links)[number] | undefined;
    let bestDeparture = 0;
    for (const link of links) {
      while ((link.departures[0] ?? Infinity) <= t) link.departures.shift();
      if ((link.departures.length + 1) * WIRE_BYTES > link.queueBytes) continue;
      // Opportunities before now are lost to every later packet too.
      while (at(link) < t) advance(link);
      const departure = at(link);
      const arrival = departure + DELAY_MS;
      if (arrival < bestArrival) {
        bestArrival = arrival;
        best = link;
        bestDeparture = departure;
      }
    }
    if (best === undefined || bestArrival - t > scenario.latencyMs) continue;
    advance(best);
    best.departures.push(bestDeparture);
    delivered++;
    delays.push(bestArrival - t);
  }
  delays.sort((a, b) => a - b);
  return { delivered, sent: count, p95Ms: delays[Math.floor(0.95 * delays.length)] ?? NaN };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

function run(name: string, scheduler: () => Scheduler, seed: number) {
  const scenario = scenarioOf(name);
  const startGuessMs = 500;
  const meanBps = scenario.links.reduce(
    (sum, link) => sum + meanBytesPerSec(link.trace, startGuessMs, startGuessMs + STREAM_MS),
    0,
  );
  // The simulator carries one datagram per opportunity: the stream is `share` of the opportunities.
  const packetsPerSecond = Math.round((scenario.share * meanBps) / 1500);
  const queueBytes = scenario.links.map(
    (link) => meanBytesPerSec(link.trace, 0, 60_000) * (WIRE_BYTES / 1500),
  );
  const inner = scheduler();
  // The stand-ins send no handshake: the scheduler learns the latency as if from one.
  inner.onSrtLatency?.(0, scenario.latencyMs);
  const sim = new Simulation({
    seed,
    links: scenario.links.map((link, index) => ({
      id: index + 1,
      up: { delayMs: DELAY_MS, jitterMs: 2, trace: link.trace, queueBytes: queueBytes[index] ?? 0 },
    })),
    encoder: { packetsPerSecond, latencyMs: scenario.latencyMs },
    // SRT's default lossmaxttl (0), as the benchmark's listener: a gap is NAKed at once.
    listener: { latencyMs: scenario.latencyMs, lossMaxTtl: 0 },
    sender: { scheduler: inner },
    receiver: { forwardPath: createReorderForwardPath({ mode: 'auto' }) },
  });
  sim.listener.recordDelays = true;
  // Delay to the receiver's input (the links only, before the reorder hold), first copies.
  const inputDelays: number[] = [];
  const seen = new Set<number>();
  sim.onReceiverData = (now, bytes) => {
    const seq = peekSrtDataSeq(bytes);
    if (seen.has(seq)) return;
    seen.add(seq);
    inputDelays.push(((Math.round(now * 1000) - peekSrtTimestamp(bytes)) >>> 0) / 1000);
  };
  sim.runUntilTrue(() => linksUp(sim).length === scenario.links.length, 10_000);
  const start = sim.now;
  sim.stream(start + STREAM_MS);
  // The reorder engine's hold, sampled every 100 ms.
  const holds: number[] = [];
  for (let t = start; t < start + STREAM_MS; t += 100) {
    sim.runUntil(t);
    const forwardPath = sim.receiver.stats(sim.now).groups[0]?.forwardPath as
      { holdMs?: number } | undefined;
    if (forwardPath?.holdMs !== undefined) holds.push(forwardPath.holdMs);
  }
  sim.runUntil(start + STREAM_MS + scenario.latencyMs + 1000);
  const delays = [...sim.listener.delays].sort((a, b) => a - b);
  const onTime = delays.filter((delay) => delay <= scenario.latencyMs).length;
  const p95 = percentile(delays, 0.95);
  const { delaysRetransmitted } = sim.listener;
  const tail = sim.listener.delays.filter((delay) => delay >= p95).length;
  const tailRetransmitted = sim.listener.delays.filter(
    (delay, index) => delay >= p95 && delaysRetransmitted[index] === true,
  ).length;
  const best = oracle(scenario, queueBytes, start, packetsPerSecond);
  const stats = sim.sender.stats(sim.now);
  return {
    ofOracle: (100 * onTime) / best.delivered,
    oracleShare: (100 * best.delivered) / best.sent,
    p50Ms: percentile(delays, 0.5),
    p95Ms: p95,
    oracleP95: best.p95Ms,
    inputP95: percentile(
      inputDelays.sort((a, b) => a - b),
      0.95,
    ),
    holdP50: percentile(
      holds.sort((a, b) => a - b),
      0.5,
    ),
    holdP95: percentile(holds, 0.95),
    retransmissions: sim.encoder.retransmitted,
    deferred: `${stats.deferredOverload}/${stats.sentDeferred}`,
    droppedAtSender: stats.droppedOverload,
    droppedInQueues: [...sim.links.values()].reduce(
      (sum, link) => sum + link.up.dataCounters.droppedQueue,
      0,
    ),
    late: delays.length - onTime,
    tailRetransmittedPct: (100 * tailRetransmitted) / tail,
  };
}

const ALL_SCHEDULERS: Record<string, (latencyMs: number) => Scheduler> = {
  adaptive: (latencyMs) =>
    new AdaptiveScheduler({
      maxQueueingMs:
        process.env.BOND_ORACLE_BUDGET === undefined
          ? queueingBudgetMs(latencyMs)
          : Number(process.env.BOND_ORACLE_BUDGET) * latencyMs,
    }),
  classic: () => new ClassicScheduler(),
};

const SCHEDULERS = Object.fromEntries(
  Object.entries(ALL_SCHEDULERS).filter(
    ([name]) => process.env.BOND_ORACLE_ONLY === undefined || name === process.env.BOND_ORACLE_ONLY,
  ),
);

describe('the trace scenarios against the oracle, simulated', () => {
  it('measures adaptive and classic against the oracle', () => {
    const names = (process.env.BOND_ORACLE_SCENARIOS ?? 'cellular,weak,fading').split(',');
    const seeds = (process.env.BOND_ORACLE_SEEDS ?? '1,2,3').split(',').map(Number);
    const rows: ({ name: string; scheduler: string; seed: number } & ReturnType<typeof run>)[] = [];
    for (const name of names) {
      const latencyMs = scenarioOf(name).latencyMs;
      for (const seed of seeds) {
        for (const [scheduler, make] of Object.entries(SCHEDULERS)) {
          rows.push({ name, scheduler, seed, ...run(name, () => make(latencyMs), seed) });
        }
      }
    }
    const lines = [
      'scenario | scheduler | seed | of oracle % | oracle % | p50 ms | p95 ms | oracle p95 ms | input p95 ms | hold p50/p95 ms | SRT retransmissions | deferred/sent later | sender drops | queue drops | late | retransmitted in p95 tail %',
      ...rows.map((r) =>
        [
          r.name,
          r.scheduler,
          r.seed,
          r.ofOracle.toFixed(2),
          r.oracleShare.toFixed(2),
          r.p50Ms.toFixed(0),
          r.p95Ms.toFixed(0),
          r.oracleP95.toFixed(0),
          r.inputP95.toFixed(0),
          `${r.holdP50.toFixed(0)}/${r.holdP95.toFixed(0)}`,
          r.retransmissions,
          r.deferred,
          r.droppedAtSender,
          r.droppedInQueues,
          r.late,
          r.tailRetransmittedPct.toFixed(0),
        ].join(' | '),
      ),
    ];
    for (const name of names) {
      const of = (scheduler: string, key: 'ofOracle' | 'p95Ms') => {
        const values = rows
          .filter((r) => r.name === name && r.scheduler === scheduler)
          .map((r) => r[key])
          .sort((a, b) => a - b);
        return values[Math.floor(values.length / 2)] ?? NaN;
      };
      lines.push(
        `${name}: adaptive ${of('adaptive', 'ofOracle').toFixed(2)}% of the oracle (classic ${of('classic', 'ofOracle').toFixed(2)}%), p95 x${(of('adaptive', 'p95Ms') / of('classic', 'p95Ms')).toFixed(3)} (medians)`,
      );
    }
    console.log(lines.join('\n'));
    if (process.env.BOND_ORACLE_JSON !== undefined) {
      writeFileSync(process.env.BOND_ORACLE_JSON, JSON.stringify(rows, null, 2));
    }
    expect(rows.length).toBe(names.length * seeds.length * Object.keys(SCHEDULERS).length);
  }, 900_000);
});
