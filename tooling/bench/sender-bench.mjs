#!/usr/bin/env node
// bond's sender-forwarding benchmark (docs: benchmarks.md, section 3). Two paths:
//
// real (the default when srt-live-transmit is installed and the real peers can be had): the path
//   a field encoder runs. `sender-tool feed` (C) paces 1316-byte payloads (numbered) at 10, 20 and
//   50 Mbit/s of payload into a real SRT caller (`srt-live-transmit udp:// -> srt://`), which
//   connects through the sender under test with 3 links (127.0.0.2..4) to BELABOX's `srtla_rec`,
//   which forwards to a real SRT listener (`srt-live-transmit srt:// -> udp://`) and on to
//   `sender-tool sink` (C), which counts the distinct payloads. The senders, alternating round by
//   round through the same path: bond-sender (the built CLI), BELABOX's `srtla_send` (the program
//   users run instead, built from ../shared/peers by lib/peers.mjs) and `sender-tool relay`, a
//   trivial C SRTLA sender (round-robin, recvmmsg in, sendmmsg out, no scheduler: the floor).
// standin (no srt-live-transmit or no peers): `sender-tool source` (C) sends SRT data packets
//   straight into the sender, whose 3 links reach `sender-tool standin` (C), a minimal SRTLA
//   receiver (registration, keepalive echoes, SRTLA ACKs, an SRT ACK every 10 ms on every link);
//   bond-sender against the C relay only.
//
// CPU is the sender process's own utime+stime from /proc/<pid>/stat over the measured window (the
// source runs `--warmup` seconds first, unmeasured, then `--seconds` measured), divided by the
// payloads delivered in that window (the window's offered payloads times the round's delivered
// fraction); memory is its VmRSS at the end of the window. Each row prints the ratios
// bond/srtla_send and bond/relay. Target: at 20 Mbit/s, bond-sender at most srtla_send's CPU per
// packet, and under 3% of one core.
//
// Usage: node tooling/bench/sender-bench.mjs [--rates 10,20,50] [--seconds 3] [--warmup 2]
//          [--rounds 3] [--path auto|real|standin] [--systems auto|relay,bond,srtla_send]
//          [--scheduler adaptive] [--peers DIR] [--baseline-bin OTHER/apps/sender/dist/bin.js]
//          [--json FILE] [--svg DIR]
// Needs `pnpm build` first (apps/sender/dist) and a C compiler. Linux only (/proc). Loopback only
// (127.0.0.0/8); every process is bounded in time and stopped at the end of its round.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PEERS_DIR, peerBinaries } from './lib/peers.mjs';
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
import { benchArgs } from './lib/command-line.mjs';

/** 1316: the SRT payload (7 x 188-byte MPEG-TS packets); the rates count payload bits. */
const PAYLOAD = 1316;
/** 3: links, as benchmarks.md section 3 says. */
const LINKS = 3;
/**
 * At 20 Mbit/s: bond-sender at most srtla_send's CPU per packet (issue 15) and under 3% of one
 * core (benchmarks.md section 3).
 */
const TARGET = { rateMbps: 20, cpuPercentOfOneCore: 3, ratioToSrtlaSend: 1 };
/** 300 ms: time after the source stops for what is in flight to arrive (beyond SRT's latency). */
const DRAIN_MS = 300;
/** 120 ms: the SRT latency of the real path's caller and listener (loopback needs little). */
const SRT_LATENCY_MS = 120;
const SRT_LIVE_TRANSMIT = 'srt-live-transmit';
const SYSTEMS = ['relay', 'bond', 'srtla_send'];

const { values } = benchArgs(import.meta.url, {
  options: {
    rates: { type: 'string', default: '10,20,50' },
    seconds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    path: { type: 'string', default: 'auto' },
    systems: { type: 'string', default: 'auto' },
    scheduler: { type: 'string', default: 'adaptive' },
    peers: { type: 'string', default: PEERS_DIR },
    'baseline-bin': { type: 'string' },
    ...outputOptions,
  },
});
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const rounds = Number(values.rounds);
const scheduler = values.scheduler;
requireOption(
  rates.every((r) => r > 0 && r <= 1000),
  '--rates: Mbit/s values in (0, 1000], comma-separated',
);
requireOption(seconds > 0 && seconds <= 30, '--seconds must be in (0, 30]');
requireOption(warmup >= 0 && warmup <= 30, '--warmup must be in [0, 30]');
requireOption(Number.isInteger(rounds) && rounds >= 1 && rounds <= 15, '--rounds must be 1..15');
requireOption(['adaptive', 'classic'].includes(scheduler), '--scheduler: adaptive or classic');
requireOption(['auto', 'real', 'standin'].includes(values.path), '--path: auto, real or standin');
const askedSystems =
  values.systems === 'auto' ? undefined : values.systems.split(',').filter((n) => n !== '');
requireOption(
  askedSystems === undefined ||
    (askedSystems.includes('bond') && askedSystems.every((n) => SYSTEMS.includes(n))),
  `--systems: auto, or bond and any of ${SYSTEMS.join(', ')}, comma-separated`,
);

/** The real path needs srt-live-transmit and BELABOX's srtla_rec; why not, when it cannot run. */
function realPathProblem() {
  if (spawnSync(SRT_LIVE_TRANSMIT, ['-version'], { stdio: 'ignore' }).error !== undefined) {
    return `${SRT_LIVE_TRANSMIT} is not installed (Debian: apt-get install srt-tools)`;
  }
  try {
    peers = peerBinaries(values.peers);
    return undefined;
  } catch (error) {
    return error.message;
  }
}
let peers;
let path = values.path;
if (path !== 'standin') {
  const problem = realPathProblem();
  if (problem !== undefined && path === 'real') throw new Error(`--path real: ${problem}`);
  if (problem !== undefined) {
    process.stderr.write(`the real path cannot run (${problem}): using the C stand-in path\n`);
    path = 'standin';
  } else {
    path = 'real';
  }
}
// --baseline-bin: another build of bond-sender (say, before a change) as one more system,
// `bond-baseline`, so the two builds are measured side by side in one run.
const baselineBin = values['baseline-bin'];
const systems = [
  ...(askedSystems ?? (path === 'real' ? SYSTEMS : ['relay', 'bond'])),
  ...(baselineBin === undefined ? [] : ['bond-baseline']),
];
requireOption(
  baselineBin === undefined || existsSync(baselineBin),
  `--baseline-bin: ${baselineBin} does not exist (give another build's apps/sender/dist/bin.js)`,
);
requireOption(
  path === 'real' || !systems.includes('srtla_send'),
  '--systems: srtla_send runs on the real path only (needs srt-live-transmit and the peers)',
);

const bin = builtEntry('apps/sender/dist/bin.js');
const tool = compileTool('sender-tool');
const work = mkdtempSync(join(tmpdir(), 'bond-sender-bench-'));
const addresses = Array.from({ length: LINKS }, (_, l) => `127.0.0.${2 + l}`);
// bond's uplink file names its links; srtla_send's takes one address per line.
const uplinks = join(work, 'uplinks.txt');
writeFileSync(uplinks, addresses.map((a, l) => `${a}  name=link${l + 1}`).join('\n') + '\n');
const sourceIps = join(work, 'source-ips.txt');
writeFileSync(sourceIps, addresses.join('\n') + '\n');

const pps = (mbps) => (mbps * 1e6) / (PAYLOAD * 8);
const limit = warmup + seconds + 20;

/** Resolves once `child` printed `count` lines matching `pattern` (throws after `timeoutMs`). */
async function lines(child, pattern, count, timeoutMs = 10_000) {
  const end = performance.now() + timeoutMs;
  while (child.count(pattern) < count) {
    if (performance.now() > end || child.child.exitCode !== null) {
      throw new Error(
        `${child.child.spawnfile}: ${child.count(pattern)} of ${count} lines matching ${pattern}; its last output: ${child.lines.slice(-10).join(' | ')}`,
      );
    }
    await sleep(20);
  }
}

/**
 * Starts the sender under test with its encoder port and its links to the SRTLA receiver at
 * `receiverPort`; resolves once every link is up: { child, port, backend }.
 */
async function startSender(system, receiverPort) {
  if (system === 'relay') {
    const child = startChild(
      tool,
      ['relay', String(receiverPort), String(LINKS), String(limit)],
      limit + 2,
    );
    const port = lastNumber(await child.line(/^port /));
    await child.line(/^registered/);
    return { child, port, backend: 'recvmmsg/sendmmsg' };
  }
  // Free for a wildcard bind: srtla_send binds 0.0.0.0 (lib/processes.mjs, freeUdpPort).
  const port = await freeUdpPort(system === 'srtla_send' ? '0.0.0.0' : '127.0.0.1');
  if (system === 'srtla_send') {
    const child = startChild(
      peers.belaboxSend,
      [String(port), '127.0.0.1', String(receiverPort), sourceIps],
      limit + 2,
    );
    await lines(child, /connection established/, LINKS);
    return { child, port, backend: 'recv/sendto' };
  }
  const child = startChild(
    process.execPath,
    [
      system === 'bond-baseline' ? baselineBin : bin,
      ...[String(port), '127.0.0.1', String(receiverPort), uplinks],
      ...['--scheduler', scheduler, '--log-format', 'json'],
    ],
    limit + 2,
  );
  const ready = JSON.parse(await child.line(/"msg":"sender listening"/));
  await lines(child, /"msg":"link up"/, LINKS);
  return { child, port, backend: ready.backend };
}

/**
 * Runs the source for warmup + seconds; measures the sender's CPU over the last `seconds` (and
 * the wall time of that window): { sent, cpu, wall, windowSeconds }.
 */
async function measure(pid, startSource) {
  const startedAt = performance.now();
  const source = startSource();
  try {
    await sleep(warmup * 1000);
    const before = cpuSeconds(pid);
    const windowStart = performance.now();
    const sent = lastNumber(await source.line(/^sent /, (warmup + seconds + 5) * 1000));
    const windowSeconds = (performance.now() - windowStart) / 1000;
    await sleep(DRAIN_MS);
    const cpu = cpuSeconds(pid) - before;
    const wall = (performance.now() - windowStart) / 1000;
    return { sent, cpu, wall, windowSeconds, totalSeconds: (performance.now() - startedAt) / 1000 };
  } finally {
    await stopAll(source);
  }
}

/** One round on the stand-in path. */
async function standinRound(system, mbps) {
  let standin;
  let sender;
  try {
    standin = startChild(tool, ['standin', String(limit)], limit + 2);
    const standinPort = lastNumber(await standin.line(/^port /));
    sender = await startSender(system, standinPort);
    await standin.line(new RegExp(`^link up ${LINKS}$`));
    await sleep(300); // the links' first keepalives and the sender's first probes settle
    const pid = sender.child.child.pid;
    const run = await measure(pid, () =>
      startChild(
        tool,
        ['source', String(sender.port), String(pps(mbps)), String(warmup + seconds)],
        limit,
      ),
    );
    const memory = residentKiB(pid);
    // Loss in the kernel: datagrams dropped because the sender's encoder socket or the stand-in's
    // socket had a full receive buffer. The rest of the loss happened inside the sender.
    const kernelDrops = (udpDrops(sender.port) ?? 0) + (udpDrops(standinPort) ?? 0);
    await standin.stop();
    const delivered = lastNumber(await standin.line(/^unique /));
    return {
      ...run,
      delivered,
      kernelDrops,
      rssKiB: memory.rss,
      peakKiB: memory.peak,
      backend: sender.backend,
    };
  } finally {
    await stopAll(sender?.child, standin);
  }
}

/** One round on the real path: feed -> SRT caller -> sender -> srtla_rec -> SRT listener -> sink. */
async function realRound(system, mbps) {
  let sink;
  let listener;
  let receiver;
  let sender;
  let caller;
  try {
    sink = startChild(tool, ['sink', String(limit)], limit + 2);
    const sinkPort = lastNumber(await sink.line(/^port /));
    const listenerPort = await freeUdpPort();
    const srt = (port, mode) => `srt://127.0.0.1:${port}?mode=${mode}&latency=${SRT_LATENCY_MS}`;
    listener = startChild(
      SRT_LIVE_TRANSMIT,
      [srt(listenerPort, 'listener'), `udp://127.0.0.1:${sinkPort}`],
      limit + 2,
    );
    await listener.line(/^Media path/);
    const receiverPort = await freeUdpPort();
    receiver = startChild(
      peers.belaboxRec,
      [String(receiverPort), '127.0.0.1', String(listenerPort)],
      limit + 2,
    );
    await receiver.line(/srtla_rec is now running/);
    sender = await startSender(system, receiverPort);
    const feedPort = await freeUdpPort();
    caller = startChild(
      SRT_LIVE_TRANSMIT,
      [`udp://127.0.0.1:${feedPort}`, srt(sender.port, 'caller')],
      limit + 2,
    );
    await caller.line(/SRT target connected/);
    await sleep(300); // the SRT handshake's tail and the first ACKs settle
    const pid = sender.child.child.pid;
    const run = await measure(pid, () =>
      startChild(
        tool,
        ['feed', String(feedPort), String(pps(mbps)), String(warmup + seconds)],
        limit,
      ),
    );
    await sleep(SRT_LATENCY_MS); // the listener plays payloads out after SRT's latency
    const memory = residentKiB(pid);
    await sink.stop();
    const delivered = lastNumber(await sink.line(/^unique /));
    return {
      ...run,
      delivered,
      kernelDrops: 0,
      rssKiB: memory.rss,
      peakKiB: memory.peak,
      backend: sender.backend,
    };
  } finally {
    await stopAll(caller, sender?.child, receiver, listener, sink);
  }
}

/** 3: attempts per round (a port picked free can be taken before a peer binds it, on all addresses). */
const ATTEMPTS = 3;

/** One round of `system` at `mbps`, tried again on a failure; an error names the system and rate. */
async function oneRound(system, mbps) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await (path === 'real' ? realRound : standinRound)(system, mbps);
    } catch (error) {
      const what = `${system} at ${mbps} Mbit/s: ${error.message}`;
      if (attempt >= ATTEMPTS) throw new Error(what, { cause: error });
      process.stderr.write(`${what}; trying the round again\n`);
    }
  }
}

/** A system's medians over its rounds at one rate. */
function summarise(list, mbps) {
  const windowPackets = (s) => (pps(mbps) * s.windowSeconds * s.delivered) / Math.max(1, s.sent);
  return {
    backend: list[0].backend,
    deliveredPps: Math.round(median(list.map((s) => s.delivered / s.totalSeconds))),
    deliveredFraction: round(median(list.map((s) => s.delivered / Math.max(1, s.sent))), 5),
    lossPercent: round(median(list.map((s) => (100 * (s.sent - s.delivered)) / s.sent))),
    // Of the loss, the part dropped inside the sender (not by a full socket buffer; stand-in path).
    internalDropPercent: round(
      median(list.map((s) => (100 * (s.sent - s.delivered - s.kernelDrops)) / s.sent)),
    ),
    cpuUsPerPacket: round(median(list.map((s) => (1e6 * s.cpu) / Math.max(1, windowPackets(s))))),
    cpuPercentOfOneCore: round(median(list.map((s) => (100 * s.cpu) / s.wall)), 2),
    rssKiB: Math.round(median(list.map((s) => s.rssKiB))),
    peakRssKiB: Math.round(median(list.map((s) => s.peakKiB))),
    rounds: list,
  };
}

const ratio = (row, other) =>
  row[other] === undefined ? null : round(row.bond.cpuUsPerPacket / row[other].cpuUsPerPacket, 2);

const results = [];
try {
  for (const mbps of rates) {
    const samples = Object.fromEntries(systems.map((system) => [system, []]));
    for (let r = 0; r < rounds; r++) {
      // Rotate which system goes first, so drift in the machine's load hits all alike.
      const order = systems.map((_, i) => systems[(i + r) % systems.length]);
      for (const system of order) samples[system].push(await oneRound(system, mbps));
    }
    const row = { rateMbps: mbps, offeredPps: Math.round(pps(mbps)) };
    for (const system of systems) row[system] = summarise(samples[system], mbps);
    row.cpuRatio = ratio(row, 'relay');
    row.cpuRatioSrtlaSend = ratio(row, 'srtla_send');
    if (baselineBin !== undefined) row.cpuRatioBaseline = ratio(row, 'bond-baseline');
    results.push(row);
    process.stderr.write(
      `${mbps} Mbit/s: ${systems.map((s) => `${s} ${row[s].cpuUsPerPacket} us/pkt (${row[s].cpuPercentOfOneCore}% of a core)`).join(', ')}\n`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const atTarget = results.find((row) => row.rateMbps === TARGET.rateMbps);
const report = {
  benchmark: 'sender-forwarding',
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
  path,
  systems,
  links: LINKS,
  payloadBytes: PAYLOAD,
  seconds,
  warmup,
  rounds,
  scheduler,
  baselineBin: baselineBin ?? null,
  srtLatencyMs: path === 'real' ? SRT_LATENCY_MS : null,
  target: TARGET,
  verdict:
    atTarget === undefined
      ? null
      : {
          cpuPercentOfOneCore: atTarget.bond.cpuPercentOfOneCore,
          met: atTarget.bond.cpuPercentOfOneCore < TARGET.cpuPercentOfOneCore,
          ratioToSrtlaSend: atTarget.cpuRatioSrtlaSend,
          ratioMet:
            atTarget.cpuRatioSrtlaSend === null
              ? null
              : atTarget.cpuRatioSrtlaSend <= TARGET.ratioToSrtlaSend,
        },
  results,
};

const names = {
  bond: 'bond',
  srtla_send: 'srtla_send',
  relay: 'C relay',
  'bond-baseline': 'bond baseline',
};
console.log(
  `\nsender forwarding, ${path} path: ${LINKS} links, ${PAYLOAD}-byte SRT payloads, ${warmup} s warm-up + ${seconds} s measured x ${rounds} rounds (medians), scheduler ${scheduler}, bond IO backend: ${results[0]?.bond.backend}\n`,
);
console.log(
  markdownTable(
    [
      'Mbit/s',
      'offered pps',
      ...systems.flatMap((s) => [
        `${names[s]} delivered %`,
        `${names[s]} CPU us/pkt`,
        `${names[s]} % of a core`,
      ]),
      'bond RSS MiB',
      ...(systems.includes('srtla_send') ? ['bond/srtla_send'] : []),
      ...(systems.includes('relay') ? ['bond/C relay'] : []),
      ...(baselineBin === undefined ? [] : ['bond/bond baseline']),
    ],
    results.map((row) => [
      row.rateMbps,
      row.offeredPps,
      ...systems.flatMap((s) => [
        round(100 * row[s].deliveredFraction, 3),
        row[s].cpuUsPerPacket,
        row[s].cpuPercentOfOneCore,
      ]),
      (row.bond.rssKiB / 1024).toFixed(1),
      ...(systems.includes('srtla_send') ? [row.cpuRatioSrtlaSend] : []),
      ...(systems.includes('relay') ? [row.cpuRatio] : []),
      ...(baselineBin === undefined ? [] : [row.cpuRatioBaseline]),
    ]),
  ),
);
if (report.verdict !== null) {
  const v = report.verdict;
  console.log(
    `\ntarget: at ${TARGET.rateMbps} Mbit/s bond-sender under ${TARGET.cpuPercentOfOneCore}% of one core: ${v.cpuPercentOfOneCore}% -> ${v.met ? 'met' : 'MISSED'}`,
  );
  if (v.ratioMet !== null) {
    console.log(
      `target: at ${TARGET.rateMbps} Mbit/s bond-sender CPU per packet <= ${TARGET.ratioToSrtlaSend}x srtla_send: ${v.ratioToSrtlaSend}x -> ${v.ratioMet ? 'met' : 'MISSED'}`,
    );
  }
}
writeOutputs(report, values);
