#!/usr/bin/env node
// bond's receiver-forwarding benchmark (docs: benchmarks.md, section 2). A native load generator
// registers G groups of K links (127.0.0.2..) with the receiver and sends 1332-byte SRT data
// packets at a fixed rate; a native sink counts what reaches the SRT side. Each configuration runs
// bond-receiver (the built CLI, IO backend `auto`) and a minimal C forwarder (recvmmsg in, sendmmsg
// out, no protocol: the physical limit here) in the same invocation, alternating which goes first
// round by round; the table shows medians. CPU is the forwarding process's own utime+stime from
// /proc/<pid>/stat over the sending window, divided by packets delivered to the sink. The first
// `--warmup` seconds of each round (default 1) carry traffic but are not measured, for both
// systems: a receiver runs for days, and its first quarter-second of traffic is JIT compilation
// (70-110 ms of CPU per 250 ms, then 25-30 ms), which a 2 s window would otherwise count as
// forwarding cost. `--warmup 0` measures from the first packet.
//
// Usage: node tooling/bench/receiver-bench.mjs [--rates 20000,50000,100000,200000]
//          [--groups 1,10,100] [--links 2] [--seconds 2] [--warmup 1] [--rounds 3]
//          [--json FILE] [--svg DIR]
// Needs `pnpm build` first (apps/receiver/dist) and a C compiler. Linux only (/proc). Loopback only
// (127.0.0.0/8); every process is bounded in time and stopped at the end of its round.
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import {
  builtEntry,
  compileTool,
  cpuSeconds,
  freeUdpPort,
  lastNumber as number,
  sleep,
  startChild as start,
  stopAll,
} from './lib/processes.mjs';
import { markdownTable, median, outputOptions, writeOutputs } from './lib/results.mjs';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '20000,50000,100000,200000' },
    groups: { type: 'string', default: '1,10,100' },
    links: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    ...outputOptions,
  },
});
const rates = values.rates.split(',').map(Number);
const groupCounts = values.groups.split(',').map(Number);
const links = Number(values.links);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const rounds = Number(values.rounds);
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
    } else {
      port = await freeUdpPort();
      forwarder = start(
        process.execPath,
        [bin, String(port), '127.0.0.1', String(sinkPort), '--listen', '127.0.0.1'],
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
        system === 'bond' ? '1' : '0',
      ],
      limit + 2,
    );
    await load.line(/^registered/, 20_000);
    if (warmup > 0) await sleep(warmup * 1000);
    const before = cpuSeconds(forwarder.child.pid);
    const sent = number(await load.line(/^sent /, (warmup + seconds + 5) * 1000));
    await sleep(300);
    const cpu = cpuSeconds(forwarder.child.pid) - before;
    const delivered = number(await sink.line(/^received /, 5000));
    // CPU was measured over the last `seconds` of the run: per packet, divide by the packets
    // delivered in that part (delivery is steady at a fixed offered rate).
    const measuredDelivered = (delivered * seconds) / (warmup + seconds);
    return { sent, delivered, measuredDelivered, cpu, backend };
  } finally {
    await stopAll(forwarder, load, sink);
  }
}

const systems = ['c-forwarder', 'bond'];
const results = [];
for (const groups of groupCounts) {
  for (const rate of rates) {
    const samples = { 'c-forwarder': [], bond: [] };
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? systems : [...systems].reverse();
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
    row.cpuRatio = Number((row.bond.cpuUsPerPacket / row['c-forwarder'].cpuUsPerPacket).toFixed(2));
    results.push(row);
    process.stderr.write(
      `groups ${groups} rate ${rate}: bond ${row.bond.cpuUsPerPacket} us/pkt, C ${row['c-forwarder'].cpuUsPerPacket} us/pkt\n`,
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
console.log(
  markdownTable(
    [
      'groups',
      'offered pps',
      'bond delivered pps',
      'bond loss %',
      'bond CPU us/pkt',
      'C delivered pps',
      'C loss %',
      'C CPU us/pkt',
      'CPU ratio bond/C',
    ],
    results.map((row) => [
      row.groups,
      row.offeredPps,
      row.bond.deliveredPps,
      row.bond.lossPercent,
      row.bond.cpuUsPerPacket,
      row['c-forwarder'].deliveredPps,
      row['c-forwarder'].lossPercent,
      row['c-forwarder'].cpuUsPerPacket,
      row.cpuRatio,
    ]),
  ),
);
console.log('');
console.log(
  markdownTable(
    ['groups', 'highest clean rate bond (pps, < 0.1% loss)', 'highest clean rate C', 'ratio'],
    groupCounts.map((groups) => {
      const c = clean[groups]['c-forwarder'];
      return [groups, clean[groups].bond, c, c === 0 ? '-' : (clean[groups].bond / c).toFixed(2)];
    }),
  ),
);
writeOutputs(
  {
    benchmark: 'receiver-forwarding',
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
    links,
    seconds,
    warmupSeconds: warmup,
    rounds,
    results,
    highestCleanRate: clean,
  },
  values,
);
