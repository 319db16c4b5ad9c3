#!/usr/bin/env node
// bond's bonding-quality benchmark (docs: benchmarks.md, section 4): bond end to end with real
// processes, each scenario for the `adaptive` and the `classic` scheduler in the same invocation
// (alternating which goes first). A stand (@bond/stand) starts bond-receiver and bond-sender (the
// built CLIs), linkem links between them (rate or trace replay, queue, delay, loss, outages) and the
// stream's ends: srt-live-transmit as SRT caller and listener (or, without srt-tools, the built-in
// SRT-like pair). The source stamps each payload with its number and send time.
//
// Three delays are measured from those stamps, on the stand's one clock:
//   path delay   stamp -> the payload's first arrival out of bond-receiver (a tap between
//                bond-receiver and the listener, reorder engine included): the latency an SRT
//                listener needs to play the stream; this is where schedulers differ
//   in receiver  bond-receiver's input (a tap between linkem and it) -> its output: the reorder
//                engine's hold
//   end to end   stamp -> the payload out of the SRT listener; srt-live-transmit plays every
//                payload at its send time + SRT latency (TSBPD), so this is about the latency for
//                everything delivered, and a path delay over the latency shows as a too-late drop
// SRT's own counters (retransmitted, lost, dropped) come from srt-live-transmit's stats output.
// Per-link share and delay are sampled every --sample-ms (250 ms), also to time how fast traffic
// leaves a dead link and comes back.
//
// Usage: node tooling/bench/quality-bench.mjs [--scenarios steady,cellular,weak,fading,outage,recovery,skew]
//          [--schedulers adaptive,classic] [--seconds 20] [--rounds 3] [--ends auto]
//          [--json FILE] [--svg DIR]          (--help for every option)
// Needs `pnpm build` first (apps/*/dist, tooling/stand/dist). Linux; loopback only (127.0.0.0/8);
// every run is bounded in time and its processes are stopped, also when it fails.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exitBadOption, isBadOption } from './lib/command-line.mjs';
import { builtEntry, rootDir, sleep } from './lib/processes.mjs';
import { oracleDelivered } from './lib/oracle.mjs';
import { SCENARIO_NAMES, failoverTimes, medianOf, scenario } from './lib/quality.mjs';
import {
  formattedJson,
  markdownTable,
  outputOptions,
  requireOption,
  round,
  writeOutputs,
} from './lib/results.mjs';

export const HELP = `Usage: node tooling/bench/quality-bench.mjs [options]

bond end to end (srt-live-transmit -> bond-sender -> linkem -> bond-receiver -> srt-live-transmit),
benchmarks.md section 4: each scenario for each scheduler, alternating which goes first.

Options:
  --scenarios LIST     of ${SCENARIO_NAMES.join(', ')} (default: all)
  --schedulers LIST    adaptive,classic (default; one alone is allowed, without ratios)
  --seconds S          stream length of steady, cellular and skew (default 20); outage and
                       recovery: the event at S/4 for S/2 (10 s at most), then S/2 more
  --rounds N           rounds of everything, medians reported (default 3)
  --ends KIND          auto (default: srt-live-transmit when installed), srt-live-transmit, builtin
  --latency MS         SRT latency (default 1000; weak and fading run at their own 2000)
  --reorder MODE       bond-receiver --reorder for every scenario but skew (default auto)
  --skew-fixed MS      the fixed hold skew runs besides off and auto (default 350)
  --sample-ms MS       sampling period of shares and delays (default 250)
  --json FILE          write the report (runs, medians, targets, timelines)
  --svg DIR            write the plots (default: next to the JSON file)
  -h, --help           this text`;

/** benchmarks.md section 4's targets. */
const TARGETS = {
  cellularDelayRatio: 0.5,
  oracleFraction: 0.97,
  oracleDelayRatio: 0.5,
  outageOffS: 1,
  outageBackS: 3,
  recoveryBackS: 3,
  skewRetransmitRatio: 0.5,
  skewAddedDelayOfSkew: 1.2,
};
/** 500 ms: after the stream stops, on top of the SRT latency, for what is in flight to arrive. */
const DRAIN_EXTRA_MS = 500;
/** 1316: payload bytes per SRT packet (the stand's stamped payloads). */
const PAYLOAD_BYTES = 1316;
/** 1332: one SRT data packet on the links (its 16-byte header and the payload). */
const WIRE_BYTES = PAYLOAD_BYTES + 16;

function parse(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenarios: { type: 'string', default: SCENARIO_NAMES.join(',') },
      schedulers: { type: 'string', default: 'adaptive,classic' },
      seconds: { type: 'string', default: '20' },
      rounds: { type: 'string', default: '3' },
      ends: { type: 'string', default: 'auto' },
      latency: { type: 'string', default: '1000' },
      reorder: { type: 'string', default: 'auto' },
      'skew-fixed': { type: 'string', default: '350' },
      'sample-ms': { type: 'string', default: '250' },
      help: { type: 'boolean', short: 'h', default: false },
      ...outputOptions,
    },
    strict: true,
  });
  const scenarios = values.scenarios.split(',').filter((s) => s !== '');
  const schedulers = values.schedulers.split(',').filter((s) => s !== '');
  const options = {
    help: values.help,
    scenarios,
    schedulers,
    seconds: Number(values.seconds),
    rounds: Number(values.rounds),
    ends: values.ends,
    latencyMs: Number(values.latency),
    reorder: values.reorder,
    skewFixedMs: Number(values['skew-fixed']),
    sampleMs: Number(values['sample-ms']),
    json: values.json,
    svg: values.svg,
  };
  requireOption(
    scenarios.length > 0 && scenarios.every((s) => SCENARIO_NAMES.includes(s)),
    `--scenarios: a comma-separated list of ${SCENARIO_NAMES.join(', ')}`,
  );
  requireOption(
    schedulers.length > 0 &&
      schedulers.every((s) => s === 'adaptive' || s === 'classic') &&
      new Set(schedulers).size === schedulers.length,
    '--schedulers: adaptive, classic or both, comma-separated',
  );
  requireOption(options.seconds >= 1 && options.seconds <= 600, '--seconds must be from 1 to 600');
  requireOption(
    Number.isInteger(options.rounds) && options.rounds >= 1 && options.rounds <= 10,
    '--rounds 1..10',
  );
  requireOption(
    ['auto', 'srt-live-transmit', 'builtin'].includes(options.ends),
    '--ends: auto, srt-live-transmit or builtin',
  );
  requireOption(options.latencyMs >= 20 && options.latencyMs <= 10_000, '--latency: 20..10000 ms');
  requireOption(/^(off|auto|\d+)$/.test(options.reorder), '--reorder: off, auto or a hold in ms');
  requireOption(
    Number.isInteger(options.skewFixedMs) && options.skewFixedMs > 0,
    '--skew-fixed: a hold in ms (> 0)',
  );
  requireOption(options.sampleMs >= 50 && options.sampleMs <= 2000, '--sample-ms: 50..2000');
  return options;
}

/** The commit measured, and whether packages/ had uncommitted changes (read-only git). */
function sourceState() {
  const git = (args) => spawnSync('git', args, { cwd: rootDir, encoding: 'utf8', timeout: 5000 });
  const commit = git(['log', '-1', '--format=%h']).stdout?.trim() || null;
  const status = git(['status', '--porcelain', '--', 'packages', 'apps']).stdout ?? '';
  const changed = status
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.slice(3));
  return {
    commit,
    uncommitted: [...new Set(changed.map((path) => path.split('/').slice(0, 2).join('/')))],
  };
}

/** A delay summary with its ms rounded, or nulls. */
const delays = (summary) => ({
  p50Ms: round(summary?.p50Ms ?? NaN, 1),
  p95Ms: round(summary?.p95Ms ?? NaN, 1),
  p99Ms: round(summary?.p99Ms ?? NaN, 1),
  maxMs: round(summary?.maxMs ?? NaN, 1),
});

/**
 * The per-window samples as columns (one array per figure, per link too): what the plots read,
 * and a third of the JSON that one object per sample takes.
 */
function columns(samples) {
  const column = (pick) => samples.map(pick);
  const names = samples[0]?.links.map((link) => link.name) ?? [];
  return {
    t: column((s) => s.t),
    deliveredMbps: column((s) => s.deliveredMbps),
    pathP50Ms: column((s) => s.pathP50Ms),
    pathP95Ms: column((s) => s.pathP95Ms),
    holdP95Ms: column((s) => s.holdP95Ms),
    e2eP95Ms: column((s) => s.e2eP95Ms),
    links: names.map((name, i) => {
      const of = (field) => column((s) => s.links[i]?.[field] ?? null);
      return {
        name,
        share: of('share'),
        offeredShare: of('offeredShare'),
        oneWayMs: of('oneWayMs'),
        queueMs: of('queueMs'),
        rttMs: of('rttMs'),
      };
    }),
  };
}

/** The stand of the run going on, so a signal (run-all's time limit, Ctrl-C) can stop it. */
let current;

/**
 * One run of one scenario, scheduler and reorder setting: the stand up, the stream for the
 * scenario's duration with its events, sampled every `sampleMs`; then its figures.
 */
async function runOnce(plan, scheduler, reorder, round_, options, createStand) {
  const stand = await createStand({
    links: plan.links,
    bitrateBps: plan.bitrateBps,
    scheduler,
    reorder,
    ends: options.ends,
    latencyMs: plan.latencyMs ?? options.latencyMs,
    seed: 1 + round_,
    pathTap: 'both',
    statsIntervalS: Math.min(0.5, options.sampleMs / 1000),
  });
  current = stand;
  const timers = [];
  try {
    const traceOffsetS = stand.emulator.elapsedMs() / 1000;
    stand.startStream();
    const started = performance.now();
    const elapsedS = () => (performance.now() - started) / 1000;
    const pending = [...plan.events].sort((a, b) => a.atS - b.atS);
    const events = [];
    const timeline = [];
    const sampleS = options.sampleMs / 1000;
    const oneWay = new Map(plan.links.map((link) => [link.name, link.up.delayMs ?? 0]));
    // Bounded: one sample per period for the scenario's duration (+1 for a late timer).
    const maxSamples = Math.ceil(plan.durationS / sampleS) + 1;
    for (let n = 1; n <= maxSamples; n++) {
      const dueS = Math.min(n * sampleS, plan.durationS);
      // Events due before the next sample happen on time, not at the sample.
      while (pending.length > 0 && pending[0].atS <= dueS) {
        const event = pending.shift();
        const wait = event.atS - elapsedS();
        if (wait > 0) await sleep(wait * 1000);
        const link = stand.emulator.link(event.link);
        const atS = elapsedS();
        if (event.action === 'outage') {
          link.outage(event.lastsS * 1000);
        } else {
          link.update({ lossRate: event.lossRate }, 'up');
          timers.push(setTimeout(() => link.update({ lossRate: 0 }, 'up'), event.lastsS * 1000));
        }
        events.push({ label: event.label, link: event.link, atS, untilS: atS + event.lastsS });
      }
      const wait = dueS - elapsedS();
      if (wait > 0) await sleep(wait * 1000);
      const sample = stand.sample();
      timeline.push({
        t: round(sample.t, 3),
        deliveredMbps: round((sample.deliveredPps * PAYLOAD_BYTES * 8) / 1e6, 3),
        pathP50Ms: round(sample.pathDelay?.p50Ms ?? NaN, 1),
        pathP95Ms: round(sample.pathDelay?.p95Ms ?? NaN, 1),
        holdP95Ms: round(sample.holdDelay?.p95Ms ?? NaN, 1),
        e2eP95Ms: round(sample.delay.p95Ms ?? NaN, 1),
        links: sample.links.map((link) => ({
          name: link.name,
          share: round(link.share, 3),
          offeredShare: round(link.offeredShare, 3),
          queueMs: round(link.queueMs, 1),
          oneWayMs: round(link.queueMs + (oneWay.get(link.name) ?? 0), 1),
          rttMs: round(link.rttMs ?? NaN, 1),
        })),
      });
      if (dueS >= plan.durationS) break;
      const problem = stand.ends.problem();
      if (problem !== undefined) throw new Error(problem);
    }
    stand.stopStream();
    const latencyMs = plan.latencyMs ?? options.latencyMs;
    await sleep(latencyMs + DRAIN_EXTRA_MS);
    const report = await stand.report();
    const stream = report.stream;
    const path = report.path;
    const durationS = report.durationS;
    // The skew the stream saw: per window, the slowest minus the fastest one-way delay (queue +
    // propagation) of the links that delivered something; the median over the run.
    const linkSkewMs = medianOf(
      timeline.map((sample) => {
        const used = sample.links.filter((l) => l.share > 0).map((l) => l.oneWayMs);
        return used.length < 2 ? NaN : Math.max(...used) - Math.min(...used);
      }),
    );
    // What the links could have carried of the same stream (trace scenarios): lib/oracle.mjs.
    const oracle =
      plan.oracle === true
        ? oracleDelivered({
            links: plan.links,
            packets: stream.sent,
            intervalMs: (PAYLOAD_BYTES * 8 * 1000) / plan.bitrateBps,
            startMs: traceOffsetS * 1000,
            wireBytes: WIRE_BYTES,
            latencyMs,
          })
        : undefined;
    const watch =
      plan.watch === undefined
        ? undefined
        : failoverTimes(timeline, {
            ...plan.watch,
            // The event's real times, not the planned ones.
            failAtS: events[0]?.atS ?? plan.watch.failAtS,
            restoreAtS: events[0]?.untilS ?? plan.watch.restoreAtS,
          });
    return {
      scenario: plan.name,
      scheduler,
      reorder,
      round: round_,
      ends: report.ends,
      durationS: round(durationS, 2),
      offeredMbps: round((stream.sent * PAYLOAD_BYTES * 8) / 1e6 / durationS, 3),
      goodputMbps: round((stream.delivered * PAYLOAD_BYTES * 8) / 1e6 / durationS, 3),
      deliveredPercent: round((100 * stream.delivered) / Math.max(1, stream.sent), 3),
      stream: {
        sent: stream.sent,
        delivered: stream.delivered,
        missing: stream.missing,
        duplicates: stream.duplicates,
        outOfOrder: stream.outOfOrder,
      },
      pathDelay: delays(path?.delay),
      inputDelay: delays(report.input?.delay),
      hold: delays(report.hold),
      e2eDelay: delays(stream.delay),
      linkSkewMs: round(linkSkewMs ?? NaN, 1),
      path:
        path === undefined
          ? null
          : {
              delivered: path.delivered,
              duplicates: path.duplicates,
              outOfOrder: path.outOfOrder,
            },
      srt: {
        retransmitted: report.srt.caller?.packetsRetransmitted ?? null,
        retransmittedPercent:
          report.srt.caller === undefined
            ? null
            : round((100 * report.srt.caller.packetsRetransmitted) / Math.max(1, stream.sent), 2),
        lost: report.srt.listener?.packetsLost ?? null,
        dropped: report.srt.listener?.packetsDropped ?? null,
        callerRttMs: round(report.srt.caller?.rttMs ?? NaN, 1),
      },
      sender:
        report.sender === undefined
          ? null
          : {
              // Payloads bond-sender dropped itself: no link had room, or no link was up.
              droppedOverload: report.sender.droppedOverload,
              droppedNoLink: report.sender.droppedNoLink,
              // New data the scheduler refused that waited at the sender, and what of it went
              // out later (the rest is in droppedOverload).
              deferredOverload: report.sender.deferredOverload ?? null,
              sentDeferred: report.sender.sentDeferred ?? null,
              // The SRT latency it read from the handshake and the queueing budget it derived.
              srtLatencyMs: report.sender.srtLatencyMs ?? null,
              queueingBudgetMs: report.sender.queueingBudgetMs ?? null,
            },
      links: report.links.map((link) => ({
        name: link.name,
        share: round(link.share, 4),
        offered: link.up.offered,
        delivered: link.up.delivered,
        dropped: link.up.dropped,
      })),
      watch:
        watch === undefined
          ? null
          : {
              link: plan.watch.link,
              // Only a dead link is left; a lossy one is still usable (recovery).
              offAfterS: plan.watch.leaves ? round(watch.offAfterS ?? NaN, 2) : undefined,
              backAfterS: round(watch.backAfterS ?? NaN, 2),
              preShare: round(watch.preShare ?? NaN, 3),
              duringShare: round(watch.duringShare ?? NaN, 3),
              threshold: round(watch.threshold, 3),
            },
      traceOffsetS: plan.oracle === true ? round(traceOffsetS, 2) : undefined,
      latencyMs,
      oracle:
        oracle === undefined
          ? null
          : {
              delivered: oracle.delivered,
              deliveredPercent: round(100 * oracle.fraction, 3),
              perLink: oracle.perLink,
              delayP50Ms: round(oracle.delay.p50Ms, 1),
              delayP95Ms: round(oracle.delay.p95Ms, 1),
              // bond's distinct payloads delivered by the SRT listener, of the oracle's.
              bondOfOraclePercent: round(
                (100 * stream.delivered) / Math.max(1, oracle.delivered),
                2,
              ),
            },
      events: events.map((e) => ({ ...e, atS: round(e.atS, 3), untilS: round(e.untilS, 3) })),
      // The per-window samples of the first round only (the plots draw those): a few hundred KiB
      // of JSON per round otherwise.
      ...(round_ === 0 ? { timeline: columns(timeline) } : {}),
    };
  } finally {
    for (const timer of timers) clearTimeout(timer);
    await stand.close();
    current = undefined;
  }
}

/** The medians over rounds of one scenario, reorder setting and scheduler. */
function summarize(runs) {
  const ok = runs.filter((run) => run.error === undefined);
  const m = (pick, digits = 3) => round(medianOf(ok.map(pick)) ?? NaN, digits);
  const first = runs[0];
  return {
    scenario: first.scenario,
    reorder: first.reorder,
    scheduler: first.scheduler,
    rounds: ok.length,
    failed: runs.length - ok.length,
    offeredMbps: m((r) => r.offeredMbps),
    oracleDeliveredPercent: m((r) => r.oracle?.deliveredPercent ?? NaN, 2),
    ofOraclePercent: m((r) => r.oracle?.bondOfOraclePercent ?? NaN, 2),
    goodputMbps: m((r) => r.goodputMbps),
    deliveredPercent: m((r) => r.deliveredPercent),
    pathP50Ms: m((r) => r.pathDelay.p50Ms, 1),
    pathP95Ms: m((r) => r.pathDelay.p95Ms, 1),
    inputP95Ms: m((r) => r.inputDelay.p95Ms, 1),
    holdP50Ms: m((r) => r.hold.p50Ms, 1),
    holdP95Ms: m((r) => r.hold.p95Ms, 1),
    linkSkewMs: m((r) => r.linkSkewMs, 1),
    e2eP50Ms: m((r) => r.e2eDelay.p50Ms, 1),
    e2eP95Ms: m((r) => r.e2eDelay.p95Ms, 1),
    missing: m((r) => r.stream.missing, 0),
    senderDropped: m(
      (r) => (r.sender === null ? NaN : r.sender.droppedOverload + r.sender.droppedNoLink),
      0,
    ),
    retransmitted: m((r) => r.srt.retransmitted, 0),
    retransmittedPercent: m((r) => r.srt.retransmittedPercent, 2),
    lost: m((r) => r.srt.lost, 0),
    dropped: m((r) => r.srt.dropped, 0),
    offAfterS: m((r) => r.watch?.offAfterS, 2),
    backAfterS: m((r) => r.watch?.backAfterS, 2),
    // A round in which traffic never left or never came back is a miss, not a missing value.
    offNever: ok.filter((r) => r.watch?.offAfterS === null).length,
    backNever: ok.filter((r) => r.watch?.backAfterS === null).length,
  };
}

/** Each section-4 target against the medians measured (null: not measured in this invocation). */
function verdicts(results, plans) {
  const find = (scenarioName, scheduler, reorder) =>
    results.find(
      (r) =>
        r.scenario === scenarioName &&
        r.scheduler === scheduler &&
        (reorder === undefined || r.reorder === reorder),
    );
  const list = [];
  const cellA = find('cellular', 'adaptive');
  const cellC = find('cellular', 'classic');
  if (cellA !== undefined && cellC !== undefined) {
    const ratio = round(cellA.pathP95Ms / cellC.pathP95Ms, 3);
    list.push({
      scenario: 'cellular',
      target: `adaptive path p95 <= ${TARGETS.cellularDelayRatio}x classic, goodput >= classic`,
      measured: `p95 ${cellA.pathP95Ms} vs ${cellC.pathP95Ms} ms (x${ratio}); goodput ${cellA.goodputMbps} vs ${cellC.goodputMbps} Mbit/s`,
      met: ratio <= TARGETS.cellularDelayRatio && cellA.goodputMbps >= cellC.goodputMbps,
    });
  }
  for (const plan of plans.filter((p) => p.oracle === true)) {
    const adaptive = find(plan.name, 'adaptive');
    const classic = find(plan.name, 'classic');
    if (adaptive === undefined || classic === undefined) continue;
    const ratio = round(adaptive.pathP95Ms / classic.pathP95Ms, 3);
    list.push({
      scenario: plan.name,
      target: `adaptive >= ${100 * TARGETS.oracleFraction}% of the oracle, path p95 <= ${TARGETS.oracleDelayRatio}x classic`,
      measured: `${adaptive.ofOraclePercent}% of the oracle (classic ${classic.ofOraclePercent}%); p95 ${adaptive.pathP95Ms} vs ${classic.pathP95Ms} ms (x${ratio})`,
      met:
        adaptive.ofOraclePercent >= 100 * TARGETS.oracleFraction &&
        ratio <= TARGETS.oracleDelayRatio,
    });
  }
  const outA = find('outage', 'adaptive');
  if (outA !== undefined) {
    const off = outA.offNever > 0 ? null : outA.offAfterS;
    const back = outA.backNever > 0 ? null : outA.backAfterS;
    list.push({
      scenario: 'outage',
      target: `adaptive off the dead link within ${TARGETS.outageOffS} s, back within ${TARGETS.outageBackS} s of restore`,
      measured: `off after ${off ?? 'never'} s, back after ${back ?? 'never'} s`,
      met:
        off !== null && back !== null && off <= TARGETS.outageOffS && back <= TARGETS.outageBackS,
    });
  }
  const recA = find('recovery', 'adaptive');
  if (recA !== undefined) {
    const back = recA.backNever > 0 ? null : recA.backAfterS;
    list.push({
      scenario: 'recovery',
      target: `adaptive: healed link at its fair share within ${TARGETS.recoveryBackS} s`,
      measured: `back after ${back ?? 'never'} s`,
      met: back !== null && back <= TARGETS.recoveryBackS,
    });
  }
  const skewPlan = plans.find((p) => p.name === 'skew');
  if (skewPlan !== undefined) {
    const maxAdded = TARGETS.skewAddedDelayOfSkew * skewPlan.skewMs;
    for (const scheduler of ['adaptive', 'classic']) {
      const off = find('skew', scheduler, 'off');
      if (off === undefined) continue;
      for (const reorder of skewPlan.variants.filter((v) => v !== 'off')) {
        const on = find('skew', scheduler, reorder);
        if (on === undefined) continue;
        const ratio = round(on.retransmitted / Math.max(1, off.retransmitted), 3);
        // The delay the reorder engine adds: each payload's time inside bond-receiver (its
        // input to its output), against the same with the engine off.
        const addedP95 = round(on.holdP95Ms - off.holdP95Ms, 1);
        list.push({
          scenario: 'skew',
          target: `${scheduler}, reorder ${reorder} vs off: SRT retransmissions <= ${TARGETS.skewRetransmitRatio}x, added delay <= ${maxAdded} ms (${TARGETS.skewAddedDelayOfSkew}x the ${skewPlan.skewMs} ms skew)`,
          measured: `retransmitted ${on.retransmitted} vs ${off.retransmitted} (x${ratio}); time in bond-receiver p95 ${on.holdP95Ms} vs ${off.holdP95Ms} ms (+${addedP95} ms; the links' measured skew ${on.linkSkewMs} ms)`,
          met: ratio <= TARGETS.skewRetransmitRatio && addedP95 <= maxAdded,
        });
      }
    }
  }
  return list;
}

const cell = (value, suffix = '') => (value === null ? null : `${value}${suffix}`);

/** The printed tables: one row per scenario, reorder setting and scheduler; then the targets. */
function printTables(report) {
  console.log(
    `\nbonding quality: ${report.ends} ends, SRT latency ${report.latencyMs} ms, ${report.rounds} round(s), medians; ` +
      `path delay = stamp to bond-receiver's output, in receiver = its input to its output (reorder hold), e2e = stamp to the SRT listener's output\n`,
  );
  console.log(
    markdownTable(
      [
        'scenario',
        'reorder',
        'scheduler',
        'offered Mbit/s',
        'goodput Mbit/s',
        'delivered %',
        'oracle delivers %',
        'of oracle %',
        'path p50 ms',
        'path p95 ms',
        'in receiver p95 ms',
        'e2e p95 ms',
        'SRT retransmitted',
        'SRT lost',
        'SRT dropped',
        'sender dropped',
        'off after s',
        'back after s',
      ],
      report.results.map((r) => [
        r.scenario,
        r.reorder,
        r.scheduler,
        r.offeredMbps,
        r.goodputMbps,
        r.deliveredPercent,
        r.oracleDeliveredPercent,
        r.ofOraclePercent,
        r.pathP50Ms,
        r.pathP95Ms,
        r.holdP95Ms,
        r.e2eP95Ms,
        r.retransmitted === null ? null : `${r.retransmitted} (${r.retransmittedPercent}%)`,
        r.lost,
        r.dropped,
        r.senderDropped,
        r.offNever > 0 ? `never (${r.offNever}/${r.rounds})` : cell(r.offAfterS ?? null),
        r.backNever > 0 ? `never (${r.backNever}/${r.rounds})` : cell(r.backAfterS),
      ]),
    ),
  );
  if (report.verdicts.length > 0) {
    console.log('');
    console.log(
      markdownTable(
        ['scenario', 'target', 'measured', 'verdict'],
        report.verdicts.map((v) => [v.scenario, v.target, v.measured, v.met ? 'met' : 'MISSED']),
      ),
    );
  }
  const failed = report.runs.filter((run) => run.error !== undefined);
  for (const run of failed) {
    console.log(`\nrun failed: ${run.scenario} ${run.reorder} ${run.scheduler}: ${run.error}`);
  }
}

export async function main(argv) {
  const options = parse(argv);
  if (options.help) {
    console.log(HELP);
    return 0;
  }
  // Stopped from outside: the processes of the run going on are stopped too, then exit.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      process.stderr.write(`${signal}: stopping the run going on\n`);
      void (current?.close() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  for (const app of ['apps/sender/dist/bin.js', 'apps/receiver/dist/bin.js']) builtEntry(app);
  builtEntry('tooling/stand/dist/index.js');
  const { createStand } = await import('@bond/stand');
  const plans = options.scenarios.map((name) => scenario(name, options));
  const started = new Date().toISOString();
  // What is measured: the commit and the uncommitted changes when the run starts.
  const source = sourceState();
  const runs = [];
  const load = loadavg()[0];
  for (let r = 0; r < options.rounds; r++) {
    let turn = r;
    for (const plan of plans) {
      for (const reorder of plan.variants) {
        // Alternate which scheduler goes first, from one pair of runs to the next.
        const order = turn++ % 2 === 0 ? options.schedulers : [...options.schedulers].reverse();
        for (const scheduler of order) {
          const label = `${plan.name}${plan.variants.length > 1 ? ` (reorder ${reorder})` : ''} ${scheduler}, round ${r + 1}/${options.rounds}`;
          process.stderr.write(`${label}: ${plan.durationS} s of stream...\n`);
          try {
            const run = await runOnce(plan, scheduler, reorder, r, options, createStand);
            runs.push(run);
            process.stderr.write(
              `  goodput ${run.goodputMbps} Mbit/s (${run.deliveredPercent}%), path p95 ${run.pathDelay.p95Ms} ms, SRT retransmitted ${run.srt.retransmitted}` +
                (run.watch === null
                  ? ''
                  : (run.watch.offAfterS === undefined
                      ? ''
                      : `, off after ${run.watch.offAfterS ?? 'never'} s`) +
                    `, back after ${run.watch.backAfterS ?? 'never'} s`) +
                '\n',
            );
          } catch (error) {
            process.stderr.write(`  failed: ${error.message}\n`);
            runs.push({
              scenario: plan.name,
              scheduler,
              reorder,
              round: r,
              error: error.message.slice(0, 2000),
            });
          }
        }
      }
    }
  }
  const results = [];
  for (const plan of plans) {
    for (const reorder of plan.variants) {
      for (const scheduler of options.schedulers) {
        const mine = runs.filter(
          (run) =>
            run.scenario === plan.name && run.reorder === reorder && run.scheduler === scheduler,
        );
        if (mine.length > 0) results.push(summarize(mine));
      }
    }
  }
  const report = {
    benchmark: 'bonding-quality',
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      loadAverageAtStart: round(load, 2),
    },
    source,
    started,
    ends: runs.find((run) => run.ends !== undefined)?.ends ?? options.ends,
    latencyMs: options.latencyMs,
    seconds: options.seconds,
    rounds: options.rounds,
    sampleMs: options.sampleMs,
    reorder: options.reorder,
    schedulers: options.schedulers,
    targets: TARGETS,
    scenarios: plans.map((plan) => ({
      name: plan.name,
      title: plan.title,
      durationS: plan.durationS,
      offeredMbps: round(plan.bitrateBps / 1e6, 3),
      capacityMbps: round(plan.capacityBps / 1e6, 3),
      latencyMs: plan.latencyMs ?? options.latencyMs,
      oracle: plan.oracle === true,
      variants: plan.variants,
      links: plan.links.map((link) => ({
        name: link.name,
        rateMbps: link.up.rateBps === undefined ? null : link.up.rateBps / 1e6,
        trace: typeof link.up.trace === 'string' ? link.up.trace.split('/').at(-1) : null,
        delayMs: link.up.delayMs ?? 0,
        queueMs: link.up.queueMs ?? null,
      })),
      ...(plan.watch === undefined ? {} : { watch: plan.watch }),
      ...(plan.skewMs === undefined ? {} : { skewMs: plan.skewMs }),
    })),
    results,
    verdicts: verdicts(results, plans),
    runs,
  };
  printTables(report);
  // Formatted as prettier formats it, so a report written into docs/ passes `pnpm lint`.
  const text = options.json === undefined ? undefined : await formattedJson(report, options.json);
  writeOutputs(report, options, text);
  return runs.some((run) => run.error !== undefined) ? 1 : 0;
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename;
if (isMain) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    // A command line it cannot read: one line, not a stack trace.
    if (!isBadOption(error)) throw error;
    exitBadOption('quality-bench.mjs', error);
  }
}
