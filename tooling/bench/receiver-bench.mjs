#!/usr/bin/env node
// bond's receiver-forwarding benchmark (docs: benchmarks.md, section 2). A native load generator
// registers G groups of K links (127.0.0.2..) with the receiver and sends 1332-byte SRT data
// packets at a fixed rate; a native sink counts what reaches the SRT side. Each configuration runs
// bond-receiver (the built CLI, IO backend `auto`), irlserver's C++ srtla_rec (the real peer users
// run instead: recvmmsg/sendmmsg, built from ../shared/peers by lib/peers.mjs) and a minimal C
// forwarder (recvmmsg in, sendmmsg out, no protocol: the floor) in the same invocation, rotating
// which goes first round by round; the table shows medians. Every receiver is started just before
// its load (a cold start) and loss counts from the first packet; CPU is measured after the warm-up. CPU is the forwarding process's own utime+stime from
// /proc/<pid>/stat over the sending window, divided by packets delivered to the sink. The first
// `--warmup` seconds of each round (default 1) carry traffic but are not measured, for both
// systems: a receiver runs for days, and its first quarter-second of traffic is JIT compilation
// (70-110 ms of CPU per 250 ms, then 25-30 ms), which a 2 s window would otherwise count as
// forwarding cost. `--warmup 0` measures from the first packet.
//
// Usage: node tooling/bench/receiver-bench.mjs [--rates 20000,50000,100000,200000]
//          [--groups 1,10,100] [--links 2] [--seconds 2] [--warmup 1] [--rounds 3]
//          [--systems auto|c-forwarder,bond,irlserver,bond-workers2] [--peers DIR] [--json FILE]
//          [--svg DIR] [--baseline-bin OTHER/apps/receiver/dist/bin.js]
// --baseline-bin: another build of bond-receiver (say, before a change) as one more system,
// `bond-baseline`, run exactly as `bond` is, so the two builds are measured side by side in one run.
// `bond-workers2` is bond-receiver --workers 2 (issue 14): its CPU is the primary's and both
// workers'; the clean-rate table then adds its ratio to bond (one process).
// Needs `pnpm build` first (apps/receiver/dist) and a C compiler. Linux only (/proc). Loopback only
// (127.0.0.0/8); every process is bounded in time and stopped at the end of its round.
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import {
  builtEntry,
  compileTool,
  freeUdpPort,
  lastNumber as number,
  sleep,
  startChild as start,
  stopAll,
  treeCpuSeconds,
} from './lib/processes.mjs';
import { PEERS_DIR, peerBinaries } from './lib/peers.mjs';
import {
  markdownTable,
  median,
  outputOptions,
  requireOption,
  writeOutputs,
} from './lib/results.mjs';
import { benchArgs } from './lib/command-line.mjs';

const { values } = benchArgs(import.meta.url, {
  options: {
    rates: { type: 'string', default: '20000,50000,100000,200000' },
    groups: { type: 'string', default: '1,10,100' },
    links: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    systems: { type: 'string', default: 'auto' },
    peers: { type: 'string', default: PEERS_DIR },
    'baseline-bin': { type: 'string' },
    ...outputOptions,
  },
});
const rates = values.rates.split(',').map(Number);
const groupCounts = values.groups.split(',').map(Number);
const links = Number(values.links);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const rounds = Number(values.rounds);
const SYSTEMS = ['c-forwarder', 'bond', 'irlserver', 'bond-workers2'];
// auto: the first three when the real peer can be had (built, or its sources beside the repository).
const auto = values.systems === 'auto';
const systems = (auto ? SYSTEMS.slice(0, 3).join(',') : values.systems)
  .split(',')
  .filter((n) => n !== '');
if (!systems.includes('bond') || systems.some((name) => !SYSTEMS.includes(name))) {
  throw new Error(`--systems: bond and any of ${SYSTEMS.join(', ')}, comma-separated`);
}
const baselineBin = values['baseline-bin'];
requireOption(
  baselineBin === undefined || existsSync(baselineBin),
  `--baseline-bin: ${baselineBin} does not exist (give another build's apps/receiver/dist/bin.js)`,
);
if (baselineBin !== undefined) {
  systems.push('bond-baseline');
}
if (
  rates.some((r) => !(r > 0 && r <= 1_000_000)) ||
  groupCounts.some((g) => !(Number.isInteger(g) && g >= 1 && g <= 1000)) ||
  !(Number.isInteger(links) && links >= 1 && links <= 8) ||
  !(seconds > 0 && seconds <= 30) ||
  !(warmup >= 0 && warmup <= 30) ||
  !(Number.isInteger(rounds) && rounds >= 1 && rounds <= 15)
) {
  throw new Error(
    '--rates in (0, 1e6], --groups 1..1000, --links 1..8, --seconds in (0, 30], --warmup in [0, 30], --rounds 1..15',
  );
}

const bin = builtEntry('apps/receiver/dist/bin.js');
const tool = compileTool('receiver-tool');
let peers;
if (systems.includes('irlserver')) {
  try {
    peers = peerBinaries(values.peers);
  } catch (error) {
    if (!auto) throw error;
    process.stderr.write(`irlserver's srtla_rec left out: ${error.message}\n`);
    systems.splice(systems.indexOf('irlserver'), 1);
  }
}

const limit = warmup + seconds + 15;

/** One round of one system: returns sent, delivered and the forwarder's CPU seconds. */
async function round(system, rate, groups) {
  let sink;
  let forwarder;
  let load;
  try {
    sink = start(tool, ['sink', String(limit)], limit + 2);
    const sinkPort = number(await sink.line(/^port /));
    let port;
    let backend = 'recvmmsg/sendmmsg';
    if (system === 'c-forwarder') {
      forwarder = start(tool, ['forward', String(sinkPort), String(limit)], limit + 2);
      port = number(await forwarder.line(/^port /));
    } else if (system === 'irlserver') {
      port = await freeUdpPort();
      forwarder = start(
        peers.irlserverRec,
        [
          ...['--srtla_port', String(port), '--srt_hostname', '127.0.0.1'],
          ...['--srt_port', String(sinkPort), '--log_level', 'info'],
        ],
        limit + 2,
      );
      // It checks that the SRT server answers first (the sink does not), then runs.
      await forwarder.line(/srtla_rec is now running/, 10_000);
      backend = 'irlserver srtla_rec';
    } else if (system === 'bond-workers2') {
      port = await freeUdpPort();
      forwarder = start(
        process.execPath,
        [
          ...[bin, String(port), '127.0.0.1', String(sinkPort), '--listen', '127.0.0.1'],
          ...['--max-pending-per-ip', String(Math.max(4, groups))],
          ...['--workers', '2', '--log-format', 'json'],
        ],
        limit + 2,
      );
      const ready = JSON.parse(await forwarder.line(/"msg":"receiver listening"/, 20_000));
      await forwarder.line(/"msg":"receiver workers running"/, 20_000);
      backend = `${ready.backend}, 2 workers`;
    } else {
      port = await freeUdpPort();
      forwarder = start(
        process.execPath,
        [
          ...[system === 'bond-baseline' ? baselineBin : bin, String(port), '127.0.0.1'],
          ...[String(sinkPort), '--listen', '127.0.0.1'],
          // The load registers every group's first link from one IP (127.0.0.2): all at once.
          ...['--max-pending-per-ip', String(Math.max(4, groups))],
        ],
        limit + 2,
      );
      const ready = JSON.parse(await forwarder.line(/"msg":"receiver listening"/));
      backend = ready.backend;
    }
    load = start(
      tool,
      [
        'load',
        String(port),
        String(rate),
        String(warmup + seconds),
        String(groups),
        String(links),
        system === 'c-forwarder' ? '0' : '1',
      ],
      limit + 2,
    );
    await load.line(/^registered/, 20_000);
    if (warmup > 0) await sleep(warmup * 1000);
    const before = treeCpuSeconds(forwarder.child.pid);
    const sent = number(await load.line(/^sent /, (warmup + seconds + 5) * 1000));
    await sleep(300);
    const cpu = treeCpuSeconds(forwarder.child.pid) - before;
    const delivered = number(await sink.line(/^received /, 5000));
    // CPU was measured over the last `seconds` of the run: per packet, divide by the packets
    // delivered in that part (delivery is steady at a fixed offered rate).
    const measuredDelivered = (delivered * seconds) / (warmup + seconds);
    return { sent, delivered, measuredDelivered, cpu, backend };
  } finally {
    await stopAll(forwarder, load, sink);
  }
}

const results = [];
for (const groups of groupCounts) {
  for (const rate of rates) {
    const samples = Object.fromEntries(systems.map((system) => [system, []]));
    for (let r = 0; r < rounds; r++) {
      // Rotate which goes first from one round to the next.
      const order = systems.map((_, i) => systems[(i + r) % systems.length]);
      for (const system of order) samples[system].push(await round(system, rate, groups));
    }
    const row = { groups, links, offeredPps: rate };
    for (const system of systems) {
      const list = samples[system];
      row[system] = {
        backend: list[0].backend,
        deliveredPps: Math.round(median(list.map((s) => s.delivered / (warmup + seconds)))),
        lossPercent: Number(
          median(list.map((s) => (100 * (s.sent - s.delivered)) / s.sent)).toFixed(3),
        ),
        cpuUsPerPacket: Number(
          median(list.map((s) => (1e6 * s.cpu) / Math.max(1, s.measuredDelivered))).toFixed(3),
        ),
        rounds: list,
      };
    }
    const ratio = (other) =>
      row[other] === undefined || !(row[other].cpuUsPerPacket > 0)
        ? null
        : Number((row.bond.cpuUsPerPacket / row[other].cpuUsPerPacket).toFixed(2));
    row.cpuRatio = ratio('c-forwarder');
    row.cpuRatioIrlserver = ratio('irlserver');
    row.cpuRatioWorkers2 = ratio('bond-workers2');
    row.cpuRatioBaseline = ratio('bond-baseline');
    results.push(row);
    process.stderr.write(
      `groups ${groups} rate ${rate}: ${systems.map((system) => `${system} ${row[system].cpuUsPerPacket} us/pkt, loss ${row[system].lossPercent}%`).join('; ')}\n`,
    );
  }
}

/** The highest offered rate forwarded with < 0.1% loss, per group count and system. */
const clean = {};
for (const groups of groupCounts) {
  clean[groups] = {};
  for (const system of systems) {
    const ok = results.filter((row) => row.groups === groups && row[system].lossPercent < 0.1);
    clean[groups][system] = ok.length === 0 ? 0 : Math.max(...ok.map((row) => row.offeredPps));
  }
}

console.log(
  `receiver forwarding: ${links} links per group, 1332-byte SRT data, ${seconds} s measured after ${warmup} s of warm-up x ${rounds} rounds (medians), bond IO backend: ${results[0]?.bond.backend}\n`,
);
const LABEL = {
  bond: 'bond',
  irlserver: 'irlserver',
  'c-forwarder': 'C',
  'bond-workers2': 'bond --workers 2',
  'bond-baseline': 'bond baseline',
};
const RATIO_FIELD = {
  irlserver: 'cpuRatioIrlserver',
  'c-forwarder': 'cpuRatio',
  'bond-workers2': 'cpuRatioWorkers2',
  'bond-baseline': 'cpuRatioBaseline',
};
const others = systems.filter((system) => system !== 'bond');
console.log(
  markdownTable(
    [
      'groups',
      'offered pps',
      ...systems.flatMap((system) => [
        `${LABEL[system]} delivered pps`,
        `${LABEL[system]} loss %`,
        `${LABEL[system]} CPU us/pkt`,
      ]),
      ...others.map((other) => `CPU ratio bond/${LABEL[other]}`),
    ],
    results.map((row) => [
      row.groups,
      row.offeredPps,
      ...systems.flatMap((system) => [
        row[system].deliveredPps,
        row[system].lossPercent,
        row[system].cpuUsPerPacket,
      ]),
      ...others.map((other) => row[RATIO_FIELD[other]]),
    ]),
  ),
);
console.log('');
console.log(
  markdownTable(
    [
      'groups',
      ...systems.map((system) => `highest clean rate ${LABEL[system]} (pps, < 0.1% loss)`),
      ...others.map((other) => `ratio bond/${LABEL[other]}`),
    ],
    groupCounts.map((groups) => [
      groups,
      ...systems.map((system) => clean[groups][system]),
      ...others.map((other) => {
        const base = clean[groups][other];
        return base === 0 ? '-' : (clean[groups].bond / base).toFixed(2);
      }),
    ]),
  ),
);
if (systems.includes('bond-workers2')) {
  console.log('');
  for (const groups of groupCounts) {
    const one = clean[groups].bond;
    const two = clean[groups]['bond-workers2'];
    console.log(
      `${groups} group(s): highest clean rate --workers 2 ${two} pps, --workers 1 ${one} pps, ratio ${one === 0 ? '-' : (two / one).toFixed(2)}`,
    );
  }
}
writeOutputs(
  {
    benchmark: 'receiver-forwarding',
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
    links,
    seconds,
    warmupSeconds: warmup,
    rounds,
    systems,
    baselineBin: baselineBin ?? null,
    results,
    highestCleanRate: clean,
  },
  values,
);
