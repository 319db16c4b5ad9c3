#!/usr/bin/env node
// bond's sender-forwarding benchmark (docs: benchmarks.md, section 3). A native encoder stand-in
// (sender-tool source) sends 1332-byte SRT data packets (1316-byte payload, increasing sequence
// numbers crossing the 31-bit wrap, paced one by one) at 10, 20, 50 and 200 Mbit/s of payload into
// the built bond-sender, which spreads them over 3 links (127.0.0.2..4) to a native SRTLA receiver
// stand-in (sender-tool standin: registration, keepalive echoes, SRTLA ACKs, an SRT ACK every
// 10 ms on every link; counts what arrives). The baseline, in the same invocation and alternating
// with bond round by round, is a trivial C SRTLA sender (sender-tool relay: round-robin over the
// same 3 links, recvmmsg in, sendmmsg out, no scheduler). CPU is the forwarding process's own
// utime+stime from /proc/<pid>/stat over the sending window, per packet delivered; memory is its
// VmRSS at the end of the window. Target: at 20 Mbit/s, bond-sender under 3% of one core.
//
// Usage: node tooling/bench/sender-bench.mjs [--rates 10,20,50,200] [--seconds 3] [--rounds 3]
//          [--scheduler adaptive] [--json FILE] [--svg DIR]
// Needs `pnpm build` first (apps/sender/dist) and a C compiler. Linux only (/proc). Loopback only
// (127.0.0.0/8); every process is bounded in time and stopped at the end of its round.
import { cpus } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  builtEntry,
  compileTool,
  cpuSeconds,
  freeUdpPort,
  lastNumber,
  residentKiB,
  sleep,
  startChild,
  stopAll,
  udpDrops,
} from './lib/processes.mjs';
import {
  markdownTable,
  median,
  outputOptions,
  requireOption,
  round,
  writeOutputs,
} from './lib/results.mjs';

/** 1316: the SRT payload (7 x 188-byte MPEG-TS packets); the rates count payload bits. */
const PAYLOAD = 1316;
/** 3: links, as benchmarks.md section 3 says. */
const LINKS = 3;
/** 20 Mbit/s and 3% of one core: the target of benchmarks.md section 3. */
const TARGET = { rateMbps: 20, cpuPercentOfOneCore: 3 };
/** 300 ms: time after the source stops for what is in flight to arrive. */
const DRAIN_MS = 300;

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '10,20,50,200' },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    scheduler: { type: 'string', default: 'adaptive' },
    ...outputOptions,
  },
});
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const scheduler = values.scheduler;
requireOption(
  rates.every((r) => r > 0 && r <= 1000),
  '--rates: Mbit/s values in (0, 1000], comma-separated',
);
requireOption(seconds > 0 && seconds <= 30, '--seconds must be in (0, 30]');
requireOption(Number.isInteger(rounds) && rounds >= 1 && rounds <= 15, '--rounds must be 1..15');
requireOption(['adaptive', 'classic'].includes(scheduler), '--scheduler: adaptive or classic');

const bin = builtEntry('apps/sender/dist/bin.js');
const tool = compileTool('sender-tool');
const work = mkdtempSync(join(tmpdir(), 'bond-sender-bench-'));
const uplinks = join(work, 'uplinks.txt');
writeFileSync(
  uplinks,
  Array.from({ length: LINKS }, (_, l) => `127.0.0.${2 + l}  name=link${l + 1}`).join('\n') + '\n',
);

const pps = (mbps) => (mbps * 1e6) / (PAYLOAD * 8);
const limit = seconds + 15;

/** One round of one system at one rate: sent, delivered, CPU seconds, wall seconds, memory. */
async function oneRound(system, mbps) {
  let standin;
  let forwarder;
  let source;
  try {
    standin = startChild(tool, ['standin', String(limit)], limit + 2);
    const standinPort = lastNumber(await standin.line(/^port /));
    let port;
    let backend = 'recvmmsg/sendmmsg';
    if (system === 'relay') {
      forwarder = startChild(
        tool,
        ['relay', String(standinPort), String(LINKS), String(limit)],
        limit + 2,
      );
      port = lastNumber(await forwarder.line(/^port /));
      await forwarder.line(/^registered/);
    } else {
      port = await freeUdpPort();
      forwarder = startChild(
        process.execPath,
        [
          bin,
          ...[String(port), '127.0.0.1', String(standinPort), uplinks],
          ...['--scheduler', scheduler, '--log-format', 'json'],
        ],
        limit + 2,
      );
      const ready = JSON.parse(await forwarder.line(/"msg":"sender listening"/));
      backend = ready.backend;
    }
    await standin.line(new RegExp(`^link up ${LINKS}$`));
    await sleep(300); // the links' first keepalives and the sender's first probes settle
    const pid = forwarder.child.pid;
    const before = cpuSeconds(pid);
    const startedAt = performance.now();
    source = startChild(tool, ['source', String(port), String(pps(mbps)), String(seconds)], limit);
    const sent = lastNumber(await source.line(/^sent /, (seconds + 5) * 1000));
    await sleep(DRAIN_MS);
    const cpu = cpuSeconds(pid) - before;
    const wall = (performance.now() - startedAt) / 1000;
    const memory = residentKiB(pid);
    // Loss in the kernel: datagrams dropped because the forwarder's encoder socket or the
    // stand-in's socket had a full receive buffer. The rest of the loss happened inside the
    // forwarder (loopback itself loses nothing).
    const kernelDrops = (udpDrops(port) ?? 0) + (udpDrops(standinPort) ?? 0);
    await standin.stop();
    const delivered = lastNumber(await standin.line(/^unique /));
    const received = lastNumber(await standin.line(/^received /));
    return {
      sent,
      delivered,
      received,
      cpu,
      wall,
      kernelDrops,
      rssKiB: memory.rss,
      peakKiB: memory.peak,
      backend,
    };
  } finally {
    await stopAll(source, forwarder, standin);
  }
}

const systems = ['relay', 'bond'];
const results = [];
try {
  for (const mbps of rates) {
    const samples = { relay: [], bond: [] };
    for (let r = 0; r < rounds; r++) {
      // Alternate which system goes first, so drift in the machine's load hits both alike.
      const order = r % 2 === 0 ? systems : [...systems].reverse();
      for (const system of order) samples[system].push(await oneRound(system, mbps));
    }
    const row = { rateMbps: mbps, offeredPps: Math.round(pps(mbps)) };
    for (const system of systems) {
      const list = samples[system];
      row[system] = {
        backend: list[0].backend,
        deliveredPps: Math.round(median(list.map((s) => s.delivered / seconds))),
        lossPercent: round(median(list.map((s) => (100 * (s.sent - s.delivered)) / s.sent))),
        // Of the loss, the part dropped inside the forwarder (not by a full socket buffer).
        internalDropPercent: round(
          median(list.map((s) => (100 * (s.sent - s.delivered - s.kernelDrops)) / s.sent)),
        ),
        cpuUsPerPacket: round(median(list.map((s) => (1e6 * s.cpu) / Math.max(1, s.delivered)))),
        cpuPercentOfOneCore: round(median(list.map((s) => (100 * s.cpu) / s.wall)), 2),
        rssKiB: Math.round(median(list.map((s) => s.rssKiB))),
        peakRssKiB: Math.round(median(list.map((s) => s.peakKiB))),
        rounds: list,
      };
    }
    row.cpuRatio = round(row.bond.cpuUsPerPacket / row.relay.cpuUsPerPacket, 2);
    results.push(row);
    process.stderr.write(
      `${mbps} Mbit/s: bond ${row.bond.cpuUsPerPacket} us/pkt (${row.bond.cpuPercentOfOneCore}% of a core), relay ${row.relay.cpuUsPerPacket} us/pkt\n`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const atTarget = results.find((row) => row.rateMbps === TARGET.rateMbps);
const report = {
  benchmark: 'sender-forwarding',
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
  links: LINKS,
  payloadBytes: PAYLOAD,
  seconds,
  rounds,
  scheduler,
  target: TARGET,
  verdict:
    atTarget === undefined
      ? null
      : {
          cpuPercentOfOneCore: atTarget.bond.cpuPercentOfOneCore,
          met: atTarget.bond.cpuPercentOfOneCore < TARGET.cpuPercentOfOneCore,
        },
  results,
};

console.log(
  `\nsender forwarding: ${LINKS} links, ${PAYLOAD}-byte SRT payloads, ${seconds} s x ${rounds} rounds (medians), scheduler ${scheduler}, bond IO backend: ${results[0]?.bond.backend}\n`,
);
console.log(
  markdownTable(
    [
      'Mbit/s',
      'offered pps',
      'bond delivered pps',
      'bond loss % (inside bond)',
      'bond CPU us/pkt',
      'bond % of a core',
      'bond RSS MiB',
      'relay delivered pps',
      'relay loss %',
      'relay CPU us/pkt',
      'relay % of a core',
      'CPU ratio bond/relay',
    ],
    results.map((row) => [
      row.rateMbps,
      row.offeredPps,
      row.bond.deliveredPps,
      `${row.bond.lossPercent} (${row.bond.internalDropPercent})`,
      row.bond.cpuUsPerPacket,
      row.bond.cpuPercentOfOneCore,
      (row.bond.rssKiB / 1024).toFixed(1),
      row.relay.deliveredPps,
      row.relay.lossPercent,
      row.relay.cpuUsPerPacket,
      row.relay.cpuPercentOfOneCore,
      row.cpuRatio,
    ]),
  ),
);
if (report.verdict !== null) {
  console.log(
    `\ntarget: at ${TARGET.rateMbps} Mbit/s bond-sender under ${TARGET.cpuPercentOfOneCore}% of one core: ${report.verdict.cpuPercentOfOneCore}% -> ${report.verdict.met ? 'met' : 'MISSED'}`,
  );
}
writeOutputs(report, values);
