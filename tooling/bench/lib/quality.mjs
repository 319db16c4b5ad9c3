// The scenarios of benchmarks.md section 4 (bonding quality) and the figures taken from their
// samples: each scenario's emulated uplinks, stream rate and timed events (a link failing, getting
// lossy, coming back), and from the per-window samples of a run how fast traffic left a dead link
// and came back to a healed one. Used by quality-bench.mjs; nothing here starts a process.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootDir } from './processes.mjs';

/**
 * Where the cellular capacity traces live: core's test traces (see their README). The one path to
 * them for the Node scripts; TypeScript tests use `traceFile()` in packages/core/test/traces.ts.
 */
export const TRACES_DIR = join(rootDir, 'packages', 'core', 'test', 'traces');

/** 1500 bytes: what one line of a trace lets through (the Mahimahi format). */
const TRACE_OPPORTUNITY_BYTES = 1500;

/** Every scenario, in run order. */
export const SCENARIO_NAMES = [
  'steady',
  'cellular',
  'weak',
  'fading',
  'outage',
  'recovery',
  'skew',
];

/**
 * The share a link's sender-side traffic must fall under to count as "left" (5% of every byte bond
 * put on the links: a dead link of three still gets keepalives and the odd probe, not data).
 */
export const OFF_SHARE = 0.05;
/**
 * A link "carries its share again" once its delivered share reaches 3/4 of its fair share (its
 * part of the combined capacity), or 3/4 of the share it had before the event when that was lower
 * (a scheduler that never gave the link its fair share is not charged for that here).
 */
export const BACK_FRACTION = 0.75;
/** 1 s: how long a share must stay past its threshold to count (one window is not a trend). */
export const SUSTAIN_S = 1;

/**
 * The capacity of `file`'s trace between `fromS` and `toS`, bits/s (one 1500-byte opportunity per
 * line; the trace repeats after its last line).
 */
export function traceMeanBps(file, fromS, toS) {
  const offsets = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number);
  const period = offsets.at(-1);
  if (!(period > 0)) throw new Error(`${file}: not a capacity trace (one ms offset per line)`);
  let count = 0;
  const first = Math.floor((fromS * 1000) / period);
  const last = Math.floor((toS * 1000) / period);
  for (let repeat = first; repeat <= last; repeat++) {
    for (const offset of offsets) {
      const at = repeat * period + offset;
      if (at >= fromS * 1000 && at < toS * 1000) count++;
    }
  }
  return (count * TRACE_OPPORTUNITY_BYTES * 8) / Math.max(1e-3, toS - fromS);
}

/** A trace file's opportunities (ms offsets; the trace repeats after its last line). */
function traceOffsets(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number);
}

/**
 * Writes (once) a trace derived from `file`: over `lengthS`, each of its opportunities at time t
 * (the source repeated as needed) is kept with the weight `keep(tS)` in 0..1, deterministically (a
 * running sum keeps one opportunity each time it passes a whole one), so the capacity is scaled
 * while its ups and downs stay where they were. Returns the new file's path (in the temporary
 * folder; the name says how it was made).
 */
export function derivedTrace(file, name, lengthS, keep) {
  const folder = join(tmpdir(), 'bond-quality-traces');
  mkdirSync(folder, { recursive: true });
  const out = join(folder, `${name}.up`);
  const offsets = traceOffsets(file);
  const period = offsets.at(-1);
  if (!(period > 0)) throw new Error(`${file}: not a capacity trace (one ms offset per line)`);
  const lines = [];
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
  // At least one opportunity, and a last line at the end, so the trace's period is `lengthS`.
  if (lines.length === 0 || lines.at(-1) < lengthS * 1000) lines.push(Math.round(lengthS * 1000));
  writeFileSync(out, `${lines.join('\n')}\n`);
  return out;
}

/** The links of a trace scenario from `[name, file]` pairs, with cellular delay and 1 s queues. */
function traceLinks(pairs) {
  return pairs.map(([linkName, file]) => ({
    name: linkName,
    up: { trace: file, queueMs: 1000, delayMs: CELLULAR_DELAY_MS },
  }));
}

/** The links' combined mean capacity while a run of `seconds` streams (3 s of setup first). */
function combinedBps(pairs, seconds) {
  return pairs.reduce((sum, [, file]) => sum + traceMeanBps(file, 3, seconds + 3), 0);
}

/**
 * A trace scenario near the links' capacity (weak, fading): the stream at `share` of their
 * combined mean, an SRT latency of 2 s, compared with the oracle.
 */
function nearCapacityScenario(name, { title, pairs, share, seconds, reorder }) {
  const capacityBps = combinedBps(pairs, seconds);
  return {
    name,
    title,
    links: traceLinks(pairs),
    capacityBps,
    bitrateBps: Math.round(share * capacityBps),
    latencyMs: 2000,
    durationS: seconds,
    events: [],
    variants: [reorder],
    oracle: true,
  };
}

/** Three equal links for the outage and recovery scenarios; `b` is the one that fails. */
function threeEqualLinks() {
  return [
    { name: 'a', up: { rateBps: 5e6, delayMs: 30, queueMs: 200 } },
    { name: 'b', up: { rateBps: 5e6, delayMs: 35, queueMs: 200 } },
    { name: 'c', up: { rateBps: 5e6, delayMs: 40, queueMs: 200 } },
  ];
}

/** The cellular traces and the names their links get. */
const CELLULAR_TRACES = [
  ['tmo-lte', 'TMobile-LTE-short.up'],
  ['vzw-lte', 'Verizon-LTE-short.up'],
  ['att-lte', 'ATT-LTE-driving.up'],
  ['tmo-umts', 'TMobile-UMTS-driving.up'],
];
/** 30 ms: one-way propagation added to every trace (the traces hold capacity only). */
const CELLULAR_DELAY_MS = 30;

/**
 * When an event starts and how long it lasts in a run of `seconds`: at a quarter of it (at least
 * 1.5 s in) for half of it, 10 s at most (benchmarks.md: 10 s), and at least as long after.
 */
export function eventTimes(seconds) {
  const startS = Math.max(1.5, seconds / 4);
  const lastsS = Math.max(1.5, Math.min(10, seconds / 2));
  const afterS = Math.max(2, seconds / 2);
  return { startS, lastsS, durationS: startS + lastsS + afterS };
}

/**
 * One scenario, sized for a run of `seconds`:
 *   links        the stand's links (linkem impairments)
 *   bitrateBps   the stream (payload bits/s); capacityBps: the links' combined capacity
 *   durationS    how long the stream runs
 *   events       [{ atS, lastsS?, label, link, action: 'outage' | 'loss', lossRate? }]
 *   watch        for outage/recovery: the link whose return (and, when `leaves`, whose leaving) is
 *                timed, its fair share
 *   variants     the receiver's reorder settings to run (skew: off, auto, fixed; else one)
 *   skewMs       skew: the difference of the links' one-way delays
 *   latencyMs    the SRT latency of this scenario (else the benchmark's --latency)
 *   oracle       trace scenarios: bond's delivery is compared with what the links could carry
 *                (lib/oracle.mjs)
 */
export function scenario(name, { seconds, reorder, skewFixedMs }) {
  switch (name) {
    case 'steady': {
      const links = [
        { name: 'a', up: { rateBps: 4e6, delayMs: 30, queueMs: 200 } },
        { name: 'b', up: { rateBps: 6e6, delayMs: 50, queueMs: 200 } },
        { name: 'c', up: { rateBps: 10e6, delayMs: 80, queueMs: 200 } },
      ];
      return {
        name,
        title: 'steady: 4, 6, 10 Mbit/s; 30, 50, 80 ms; 200 ms queues',
        links,
        capacityBps: 20e6,
        bitrateBps: 15e6,
        durationS: seconds,
        events: [],
        variants: [reorder],
      };
    }
    case 'cellular': {
      // The stream's share of what the traces offer while it runs (setup takes a few seconds of
      // the traces first, hence the margin).
      const links = CELLULAR_TRACES.map(([linkName, file]) => ({
        name: linkName,
        up: { trace: join(TRACES_DIR, file), queueMs: 1000, delayMs: CELLULAR_DELAY_MS },
      }));
      const capacityBps = CELLULAR_TRACES.reduce(
        (sum, [, file]) => sum + traceMeanBps(join(TRACES_DIR, file), 0, seconds + 3),
        0,
      );
      return {
        name,
        title: `cellular: ${CELLULAR_TRACES.map(([, file]) => file.replace('.up', '')).join(', ')}; 1 s queues`,
        links,
        capacityBps,
        bitrateBps: Math.round(0.8 * capacityBps),
        durationS: seconds,
        events: [],
        variants: [reorder],
        traces: CELLULAR_TRACES.map(([linkName, file]) => ({ link: linkName, file })),
        oracle: true,
      };
    }
    case 'weak': {
      // Three slow cellular uplinks with the stream at 90% of what they offer: where scheduling
      // decides everything. Verizon's LTE trace is thinned to a quarter so no link is strong.
      const pairs = [
        ['att-lte', join(TRACES_DIR, 'ATT-LTE-driving.up')],
        ['tmo-umts', join(TRACES_DIR, 'TMobile-UMTS-driving.up')],
        [
          'vzw-lte/4',
          derivedTrace(
            join(TRACES_DIR, 'Verizon-LTE-short.up'),
            'Verizon-LTE-short-quarter',
            140,
            () => 0.25,
          ),
        ],
      ];
      return nearCapacityScenario(name, {
        title:
          'weak: ATT-LTE-driving, TMobile-UMTS-driving, Verizon-LTE-short / 4; stream at 90%; 1 s queues; SRT latency 2 s',
        pairs,
        share: 0.9,
        seconds,
        reorder,
      });
    }
    case 'fading': {
      // One strong uplink (T-Mobile LTE at half its trace, about 6.6 Mbit/s) carries most of the
      // capacity and fades to a twentieth of that over the run; two weak ones stay.
      const fadeFromS = 3;
      const fadeToS = seconds + 3;
      const pairs = [
        [
          'strong',
          derivedTrace(
            join(TRACES_DIR, 'TMobile-LTE-short.up'),
            `TMobile-LTE-short-fading-${fadeFromS}-${fadeToS}s`,
            fadeToS + 60,
            (tS) =>
              0.5 * (1 - 0.95 * Math.min(1, Math.max(0, (tS - fadeFromS) / (fadeToS - fadeFromS)))),
          ),
        ],
        ['att-lte', join(TRACES_DIR, 'ATT-LTE-driving.up')],
        ['tmo-umts', join(TRACES_DIR, 'TMobile-UMTS-driving.up')],
      ];
      return nearCapacityScenario(name, {
        title:
          'fading: T-Mobile LTE / 2 fading to 1/20 over the run, ATT-LTE-driving, TMobile-UMTS-driving; stream at 80% of the mean; 1 s queues; SRT latency 2 s',
        pairs,
        share: 0.8,
        seconds,
        reorder,
      });
    }
    case 'outage': {
      const { startS, lastsS, durationS } = eventTimes(seconds);
      return {
        name,
        title: `outage: 3 x 5 Mbit/s; b black-holed (both ways) for ${lastsS} s`,
        links: threeEqualLinks(),
        capacityBps: 15e6,
        bitrateBps: 9e6,
        durationS,
        events: [{ atS: startS, lastsS, label: 'b black-holed', link: 'b', action: 'outage' }],
        watch: {
          link: 'b',
          fairShare: 1 / 3,
          failAtS: startS,
          restoreAtS: startS + lastsS,
          leaves: true,
        },
        variants: [reorder],
      };
    }
    case 'recovery': {
      const { startS, lastsS, durationS } = eventTimes(seconds);
      return {
        name,
        title: `recovery: 3 x 5 Mbit/s; b at 20% loss (up) for ${lastsS} s, then clean`,
        links: threeEqualLinks(),
        capacityBps: 15e6,
        bitrateBps: 9e6,
        durationS,
        events: [
          {
            atS: startS,
            lastsS,
            label: 'b at 20% loss',
            link: 'b',
            action: 'loss',
            lossRate: 0.2,
          },
        ],
        watch: {
          link: 'b',
          fairShare: 1 / 3,
          failAtS: startS,
          restoreAtS: startS + lastsS,
          leaves: false,
        },
        variants: [reorder],
      };
    }
    case 'skew': {
      const links = [
        { name: 'fast', up: { rateBps: 5e6, delayMs: 20, queueMs: 200 } },
        { name: 'slow', up: { rateBps: 5e6, delayMs: 300, queueMs: 200 } },
      ];
      return {
        name,
        title: 'skew: 2 x 5 Mbit/s, 20 and 300 ms; reorder engine off, auto, fixed',
        links,
        capacityBps: 10e6,
        bitrateBps: 7e6,
        durationS: seconds,
        events: [],
        variants: ['off', 'auto', String(skewFixedMs)],
        skewMs: 280,
      };
    }
    default:
      throw new Error(`no scenario "${name}": known are ${SCENARIO_NAMES.join(', ')}`);
  }
}

/** The median of the finite values, or null when there are none. */
export function medianOf(list) {
  const values = list.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (values.length === 0) return null;
  const middle = Math.floor(values.length / 2);
  return values.length % 2 === 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

/**
 * The first sample from `from` on (samples in time order) from which `holds` is true for every
 * sample within `SUSTAIN_S` after it (fewer at the end of the run, but at least that one), and
 * before `untilS` when given; undefined if there is none.
 */
function firstSustained(samples, fromS, holds, untilS = Infinity) {
  const window = samples.filter((s) => s.t > fromS && s.t <= untilS);
  for (const start of window) {
    const run = window.filter((s) => s.t >= start.t && s.t <= start.t + SUSTAIN_S);
    if (run.every(holds)) return start;
  }
  return undefined;
}

/**
 * How fast traffic left the watched link and came back, from a run's samples (`t` in seconds from
 * the stream's start, per link `share` of the delivered bytes and `offeredShare` of what the sender
 * put on the links in the window):
 *   offAfterS    from the failure to the end of the first window from which the link's offered
 *                share stays under OFF_SHARE for SUSTAIN_S (null: it never did before the restore)
 *   backAfterS   from the restore to the end of the first window from which its delivered share
 *                stays at or over the threshold for SUSTAIN_S (null: not within the run)
 *   preShare     its median delivered share before the event (from 1 s in)
 *   duringShare  its median offered share during the event
 *   threshold    BACK_FRACTION x min(fair share, preShare)
 * Times are window ends, so they are upper bounds with the sampling period as resolution.
 */
export function failoverTimes(samples, { link, fairShare, failAtS, restoreAtS }) {
  const shareOf = (sample, field) => sample.links.find((l) => l.name === link)?.[field] ?? 0;
  const preShare = medianOf(
    samples.filter((s) => s.t > 1 && s.t <= failAtS).map((s) => shareOf(s, 'share')),
  );
  const duringShare = medianOf(
    samples
      .filter((s) => s.t > failAtS && s.t <= restoreAtS)
      .map((s) => shareOf(s, 'offeredShare')),
  );
  const threshold = BACK_FRACTION * Math.min(fairShare, preShare ?? fairShare);
  const off = firstSustained(
    samples,
    failAtS,
    (s) => shareOf(s, 'offeredShare') < OFF_SHARE,
    restoreAtS,
  );
  const back = firstSustained(samples, restoreAtS, (s) => shareOf(s, 'share') >= threshold);
  return {
    offAfterS: off === undefined ? null : off.t - failAtS,
    backAfterS: back === undefined ? null : back.t - restoreAtS,
    preShare,
    duringShare,
    threshold,
  };
}
