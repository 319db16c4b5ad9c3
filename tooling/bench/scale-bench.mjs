#!/usr/bin/env node
// bond's scale and memory benchmark (docs: benchmarks.md, section 5). One bond-receiver (the built
// CLI) is grown to 1, 100 and 1,000 registered groups by a native load generator (receiver-tool
// scale): group g has 2 + g % 3 links on 127.0.0.2..5, every link sends a keepalive once a second,
// and a fixed stream of 1332-byte SRT data packets (--data-pps in total) is spread over every group
// and link, so each group carries a trickle and the data work is the same at every scale point.
// At each point, after a settling pause, the benchmark measures over --windows windows of
// --seconds: the receiver's resident memory (VmRSS, /proc/<pid>/status), its CPU (utime+stime,
// /proc/<pid>/stat) per packet handled (data + keepalives sent to it), and the receiver's own count
// of groups and links and V8 heap from its /metrics. It reports memory per group as the slope
// between consecutive points (target: under 50 KiB per idle group, linear growth) and CPU per packet
// at each point (target: flat, i.e. O(active work), not O(groups)). A timeline of memory and CPU
// over the whole run is sampled every 250 ms, with the growth steps marked.
// The whole run is repeated --runs times (default 3), each with a fresh receiver: one run's RSS
// moves with when V8 last collected garbage, so the report gives each point's median over the runs
// and each slope's median with its lowest and highest run. No garbage collection is forced: the
// figures are what an operator would see. The receiver's /metrics (group and link counts, V8
// heap) is read after each point's windows (--scrape each, the default), or only after the last
// point (--scrape last): at 1,000 groups one scrape is about 5.7 MB of text, and the garbage it
// leaves raises the next point's RSS, which is what a receiver scraped by Prometheus pays.
//
// Usage: node tooling/bench/scale-bench.mjs [--groups 1,100,1000] [--data-pps 2000] [--seconds 2]
//          [--windows 3] [--settle 2] [--runs 3] [--scrape each|last] [--json FILE] [--svg DIR]
// Needs `pnpm build` first (apps/receiver/dist) and a C compiler. Linux only (/proc). Loopback only
// (127.0.0.0/8); every process is bounded in time and stopped at the end.
import { cpus } from 'node:os';
import {
  builtEntry,
  compileTool,
  cpuSeconds,
  freeTcpPort,
  freeUdpPort,
  lastNumber,
  residentKiB,
  sleep,
  startChild,
  stopAll,
} from './lib/processes.mjs';
import {
  markdownTable,
  median,
  outputOptions,
  requireOption,
  round,
  writeOutputs,
} from './lib/results.mjs';
import { benchArgs } from './lib/command-line.mjs';

/** 50 KiB per idle group: the target of benchmarks.md section 5. */
const TARGET_KIB_PER_GROUP = 50;
/** 250 ms: the timeline's sampling period. */
const SAMPLE_MS = 250;

const { values } = benchArgs(import.meta.url, {
  options: {
    groups: { type: 'string', default: '1,100,1000' },
    'data-pps': { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '2' },
    windows: { type: 'string', default: '3' },
    settle: { type: 'string', default: '2' },
    runs: { type: 'string', default: '3' },
    scrape: { type: 'string', default: 'each' },
    'io-backend': { type: 'string', default: 'auto' },
    ...outputOptions,
  },
});
const points = values.groups.split(',').map(Number);
const dataPps = Number(values['data-pps']);
const seconds = Number(values.seconds);
const windows = Number(values.windows);
const settle = Number(values.settle);
const runs = Number(values.runs);
requireOption(
  points.every(
    (g, i) => Number.isInteger(g) && g >= 1 && g <= 1000 && (i === 0 || g > points[i - 1]),
  ),
  '--groups: increasing group counts 1..1000, comma-separated',
);
requireOption(dataPps >= 0 && dataPps <= 100_000, '--data-pps must be in [0, 100000]');
requireOption(seconds > 0 && seconds <= 30, '--seconds must be in (0, 30]');
requireOption(Number.isInteger(windows) && windows >= 1 && windows <= 15, '--windows 1..15');
requireOption(settle >= 0 && settle <= 30, '--settle must be in [0, 30]');
requireOption(Number.isInteger(runs) && runs >= 1 && runs <= 9, '--runs 1..9');
const scrapeEach = values.scrape === 'each';
requireOption(['each', 'last'].includes(values.scrape), '--scrape: each or last');
const ioBackend = values['io-backend'];
requireOption(
  ['auto', 'native', 'dgram'].includes(ioBackend),
  '--io-backend: auto, native or dgram',
);

const bin = builtEntry('apps/receiver/dist/bin.js');
const tool = compileTool('receiver-tool');
const maxGroups = points.at(-1);
const limit = points.length * (settle + windows * (seconds + 1) + 30) + 30;

/** The values of the receiver's /metrics this benchmark reads (missing ones are null). */
async function scrape(httpPort) {
  const started = performance.now();
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const scrapeMs = performance.now() - started;
  const value = (pattern) => {
    const match = new RegExp(`^${pattern}\\s+([0-9.e+-]+)$`, 'm').exec(text);
    return match === null ? null : Number(match[1]);
  };
  return {
    groupsActive: value('bond(?:_receiver)?_groups\\{state="active"\\}'),
    groupsPending: value('bond(?:_receiver)?_groups\\{state="pending"\\}'),
    links: value('bond(?:_receiver)?_links'),
    heapUsedBytes: value('nodejs_heap_size_used_bytes'),
    scrapeMs,
    scrapeBytes: Buffer.byteLength(text),
  };
}

/**
 * One run: a fresh receiver and load generator, grown through every point; returns the points
 * measured and the timeline.
 */
async function measureRun() {
  const timeline = { samples: [], events: [] };
  const results = [];
  const port = await freeUdpPort();
  const httpPort = await freeTcpPort();
  let load;
  let receiver;
  let sampler;
  try {
    load = startChild(tool, ['scale', String(port), String(limit)], limit + 5);
    const sinkPort = lastNumber(await load.line(/^sink /));
    receiver = startChild(
      process.execPath,
      [
        bin,
        ...[String(port), '127.0.0.1', String(sinkPort), '--listen', '127.0.0.1'],
        ...['--max-groups', String(maxGroups + 10), '--http', `127.0.0.1:${httpPort}`],
        ...['--log-format', 'json', '--log-level', 'warn', '--io-backend', ioBackend],
      ],
      limit + 5,
    );
    const pid = receiver.child.pid;
    await sleep(300);
    // Ready when /metrics answers (the log is quiet at --log-level warn).
    for (let attempt = 0; attempt < 100; attempt++) {
      if (
        await scrape(httpPort).then(
          () => true,
          () => false,
        )
      )
        break;
      if (attempt === 99)
        throw new Error(`bond-receiver did not answer on /metrics: ${receiver.lines.join(' | ')}`);
      await sleep(100);
    }
    const started = performance.now();
    const at = () => round((performance.now() - started) / 1000, 2);
    let lastCpu = cpuSeconds(pid);
    let lastAt = performance.now();
    sampler = setInterval(() => {
      const cpu = cpuSeconds(pid);
      const now = performance.now();
      timeline.samples.push({
        at: at(),
        rssKiB: residentKiB(pid).rss,
        cpuPercent: round((100 * (cpu - lastCpu)) / ((now - lastAt) / 1000), 1),
      });
      lastCpu = cpu;
      lastAt = now;
    }, SAMPLE_MS);

    const counts = async () => {
      load.send('count');
      const line = await load.next(/^count /);
      const [, data, keepalives, forwarded] = /data (\d+) keepalives (\d+) forwarded (\d+)/
        .exec(line)
        .map(Number);
      return { data, keepalives, forwarded };
    };

    for (const groups of points) {
      timeline.events.push({ at: at(), label: `${groups} group${groups === 1 ? '' : 's'}` });
      load.send(`groups ${groups}`);
      const grown = await load.next(/^groups /, 120_000);
      const links = lastNumber(grown);
      if (results.length === 0) load.send(`rate ${dataPps}`);
      await sleep(settle * 1000);
      const measured = [];
      for (let w = 0; w < windows; w++) {
        const before = { cpu: cpuSeconds(pid), counts: await counts(), time: performance.now() };
        await sleep(seconds * 1000);
        const after = { cpu: cpuSeconds(pid), counts: await counts(), time: performance.now() };
        const wall = (after.time - before.time) / 1000;
        const packets =
          after.counts.data -
          before.counts.data +
          after.counts.keepalives -
          before.counts.keepalives;
        const cpu = after.cpu - before.cpu;
        measured.push({
          wall,
          cpu,
          packets,
          data: after.counts.data - before.counts.data,
          forwarded: after.counts.forwarded - before.counts.forwarded,
          rssKiB: residentKiB(pid).rss,
        });
      }
      // /metrics with every group's and link's series is megabytes at 1,000 groups: its garbage
      // stays in the next point's RSS, so `--scrape last` reads it only after the last point.
      const view =
        scrapeEach || groups === maxGroups
          ? await scrape(httpPort)
          : {
              groupsActive: null,
              groupsPending: null,
              links: null,
              heapUsedBytes: null,
              scrapeMs: null,
              scrapeBytes: null,
            };
      const point = {
        groups,
        links,
        receiverGroupsActive: view.groupsActive,
        receiverGroupsPending: view.groupsPending,
        receiverLinks: view.links,
        rssKiB: Math.round(median(measured.map((m) => m.rssKiB))),
        heapUsedKiB: view.heapUsedBytes === null ? null : Math.round(view.heapUsedBytes / 1024),
        // One /metrics answer, wall time from request to the last byte (the receiver's event loop
        // is busy for most of it), and its size.
        scrapeMs: view.scrapeMs === null ? null : round(view.scrapeMs, 1),
        scrapeKiB: view.scrapeBytes === null ? null : Math.round(view.scrapeBytes / 1024),
        packetsPerSecond: Math.round(median(measured.map((m) => m.packets / m.wall))),
        cpuPercentOfOneCore: round(median(measured.map((m) => (100 * m.cpu) / m.wall)), 2),
        cpuUsPerPacket: round(median(measured.map((m) => (1e6 * m.cpu) / Math.max(1, m.packets)))),
        forwardedPercent: round(
          median(measured.map((m) => (m.data > 0 ? (100 * m.forwarded) / m.data : 100))),
          2,
        ),
        windows: measured,
      };
      results.push(point);
      process.stderr.write(
        `${groups} groups (${links} links; receiver holds ${view.groupsActive} active, ${view.groupsPending} pending): RSS ${(point.rssKiB / 1024).toFixed(1)} MiB, ${point.cpuUsPerPacket} us/packet\n`,
      );
    }
    load.send('quit');
  } finally {
    if (sampler !== undefined) clearInterval(sampler);
    await stopAll(receiver, load);
  }
  return { points: results, timeline };
}

/** The slope of RSS and heap between consecutive points of one run. */
function slopesOf(results) {
  return results.slice(1).map((point, i) => {
    const previous = results[i];
    const added = point.groups - previous.groups;
    return {
      from: previous.groups,
      to: point.groups,
      rssKiBPerGroup: round((point.rssKiB - previous.rssKiB) / added, 2),
      heapKiBPerGroup:
        point.heapUsedKiB === null || previous.heapUsedKiB === null
          ? null
          : round((point.heapUsedKiB - previous.heapUsedKiB) / added, 2),
    };
  });
}

const measured = [];
for (let run = 1; run <= runs; run++) {
  const { points: runPoints, timeline: runTimeline } = await measureRun();
  measured.push({ points: runPoints, timeline: runTimeline, slopes: slopesOf(runPoints) });
  if (runs > 1) {
    process.stderr.write(
      `run ${run}/${runs}: RSS KiB per added group ${measured
        .at(-1)
        .slopes.map((s) => `${s.from}->${s.to} ${s.rssKiBPerGroup}`)
        .join(', ')}\n`,
    );
  }
}
// Each point: the median over runs of each run's median (the figures read these); the timeline
// is the first run's.
const results = points.map((groups, i) => {
  const each = measured.map((m) => m.points[i]);
  const mid = (pick) => {
    const values = each.map(pick).filter((v) => v !== null);
    return values.length === 0 ? null : median(values);
  };
  return {
    ...each[0],
    rssKiB: Math.round(mid((p) => p.rssKiB)),
    heapUsedKiB: mid((p) => p.heapUsedKiB) === null ? null : Math.round(mid((p) => p.heapUsedKiB)),
    scrapeMs:
      mid((p) => p.scrapeMs) === null
        ? null
        : round(
            mid((p) => p.scrapeMs),
            1,
          ),
    scrapeKiB: mid((p) => p.scrapeKiB) === null ? null : Math.round(mid((p) => p.scrapeKiB)),
    packetsPerSecond: Math.round(mid((p) => p.packetsPerSecond)),
    cpuPercentOfOneCore: round(
      mid((p) => p.cpuPercentOfOneCore),
      2,
    ),
    cpuUsPerPacket: round(mid((p) => p.cpuUsPerPacket)),
    forwardedPercent: round(
      mid((p) => p.forwardedPercent),
      2,
    ),
    windows: each.flatMap((p) => p.windows),
  };
});
const timeline = measured[0].timeline;

// A slope per run, then the median over runs (with the lowest and highest): RSS of one run moves
// with when V8 last collected, so one run alone can be off by tens of KiB per group.
const slopes = measured[0].slopes.map((first, i) => {
  const each = measured.map((m) => m.slopes[i]);
  const rss = each.map((s) => s.rssKiBPerGroup);
  const heap = each.map((s) => s.heapKiBPerGroup).filter((v) => v !== null);
  return {
    from: first.from,
    to: first.to,
    rssKiBPerGroup: round(median(rss), 2),
    rssKiBPerGroupMin: Math.min(...rss),
    rssKiBPerGroupMax: Math.max(...rss),
    heapKiBPerGroup: heap.length === 0 ? null : round(median(heap), 2),
  };
});
const worstSlope = slopes.length === 0 ? null : Math.max(...slopes.map((s) => s.rssKiBPerGroup));
const cpuSpread =
  results.length < 2 ? null : round(results.at(-1).cpuUsPerPacket / results[0].cpuUsPerPacket, 2);
const report = {
  benchmark: 'scale',
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
  ioBackend,
  dataPps,
  seconds,
  windows,
  settle,
  runs,
  scrape: values.scrape,
  target: { kibPerIdleGroup: TARGET_KIB_PER_GROUP },
  points: results,
  slopes,
  perRun: measured.map((m) => ({ points: m.points, slopes: m.slopes })),
  verdict: {
    worstRssKiBPerGroup: worstSlope,
    memoryMet: worstSlope === null ? null : worstSlope < TARGET_KIB_PER_GROUP,
    cpuPerPacketRatioLastToFirst: cpuSpread,
  },
  timeline,
};

console.log(
  `\nscale: bond-receiver, ${dataPps} data pps in total spread over all groups + 1 keepalive/s per link, ${windows} x ${seconds} s per point (medians), ${runs} run${runs === 1 ? '' : 's'} (medians of the runs' medians)\n`,
);
console.log(
  markdownTable(
    [
      'groups',
      'links',
      'receiver: active/pending groups, links',
      'RSS MiB',
      'V8 heap MiB',
      '/metrics ms, KiB',
      'packets/s',
      'CPU % of a core',
      'CPU us/packet',
      'data forwarded %',
    ],
    results.map((p) => [
      p.groups,
      p.links,
      p.receiverGroupsActive === null
        ? 'not read (--scrape last)'
        : `${p.receiverGroupsActive}/${p.receiverGroupsPending}, ${p.receiverLinks}`,
      (p.rssKiB / 1024).toFixed(1),
      p.heapUsedKiB === null ? '-' : (p.heapUsedKiB / 1024).toFixed(1),
      p.scrapeMs === null ? '-' : `${p.scrapeMs}, ${p.scrapeKiB}`,
      p.packetsPerSecond,
      p.cpuPercentOfOneCore,
      p.cpuUsPerPacket,
      p.forwardedPercent,
    ]),
  ),
);
if (slopes.length > 0) {
  console.log('');
  console.log(
    markdownTable(
      [
        'groups',
        'RSS KiB per added group (median of runs)',
        'lowest..highest run',
        'V8 heap KiB per added group',
      ],
      slopes.map((s) => [
        `${s.from} -> ${s.to}`,
        s.rssKiBPerGroup,
        `${s.rssKiBPerGroupMin}..${s.rssKiBPerGroupMax}`,
        s.heapKiBPerGroup,
      ]),
    ),
  );
  console.log(
    `\ntarget: under ${TARGET_KIB_PER_GROUP} KiB per idle group: worst slope ${worstSlope} KiB -> ${report.verdict.memoryMet ? 'met' : 'MISSED'}; CPU per packet at ${results.at(-1).groups} groups / at ${results[0].groups}: x${cpuSpread}`,
  );
}
writeOutputs(report, values);
