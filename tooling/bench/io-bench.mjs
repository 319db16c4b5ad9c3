#!/usr/bin/env node
// bond's batched-IO benchmark (docs: benchmarks.md, section 1): `dgram` against `linux-mmsg`,
// side by side in one run, alternating backends round by round; the median of the rounds is
// reported. Receive: a native batched source (udp-tool blast, C) offers 1332-byte datagrams to a
// socket in this process. Send: this process offers them to a native sink (udp-tool sink, C).
// CPU is this process's own (process.cpuUsage), divided by datagrams delivered.
//
// Usage: node tooling/bench/io-bench.mjs [--rates 50000,100000,200000,400000,800000] [--seconds 2]
//          [--rounds 3] [--directions receive,send] [--json FILE] [--svg DIR]
// Needs `pnpm build` first (the built @bond/io and @bond/io-linux) and a C compiler.
// Loopback only (127.0.0.1); every round is bounded in time.
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
// The built packages, by path: the benchmark measures what ships, and tooling/ declares no
// dependency on the IO packages.
import {
  Counter,
  createEndpoint,
  createReceiveBatch,
  dgramBackend,
} from '../../packages/io/dist/index.js';
import { loadLinuxBackend } from '../../packages/io-linux/dist/index.js';
import { compileTool } from './lib/processes.mjs';
import { markdownTable, median, outputOptions, writeOutputs } from './lib/results.mjs';
import { benchArgs } from './lib/command-line.mjs';

const SIZE = 1332; // SRT data datagram size (benchmarks.md)
const ADDRESS = '127.0.0.1';
const BUFFER = 4 << 20; // the same SO_RCVBUF/SO_SNDBUF request for both backends

const { values } = benchArgs(import.meta.url, {
  options: {
    rates: { type: 'string', default: '50000,100000,200000,400000,800000' },
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    ...outputOptions,
    directions: { type: 'string', default: 'receive,send' },
  },
});
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const directions = values.directions.split(',');
if (
  rates.some((r) => !(r > 0)) ||
  !(seconds > 0 && seconds <= 30) ||
  !(rounds >= 1 && rounds <= 15)
) {
  throw new Error('--rates must be positive, --seconds in (0, 30], --rounds in [1, 15]');
}

const tool = compileTool('udp-tool');

const linux = loadLinuxBackend();
if (linux.backend === undefined)
  throw new Error(`linux-mmsg unavailable: ${linux.loadError?.message}`);
const backends = [dgramBackend, linux.backend];

/** Runs udp-tool; resolves with its "key value" lines once it exits (killed after `limit` s). */
function runTool(args, limit, onLine = () => undefined) {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), limit * 1000);
    const result = {};
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [key, value] = line.split(' ');
      result[key] = Number(value);
      onLine(key, Number(value));
    });
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(result);
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function receiveRound(backend, rate) {
  const socket = await backend.open({
    address: ADDRESS,
    batch: createReceiveBatch({ maxBatch: 64, slotSize: 2048 }),
    onBatch: () => undefined,
    receiveBufferSize: BUFFER,
  });
  try {
    await sleep(50);
    const cpu = process.cpuUsage();
    const blast = await runTool(
      ['blast', ADDRESS, String(socket.local.port), String(rate), String(seconds), String(SIZE)],
      seconds + 5,
    );
    await sleep(100); // let the receive queue drain
    const used = process.cpuUsage(cpu);
    const delivered = socket.counters[Counter.datagramsReceived];
    const perCallback = delivered / Math.max(1, socket.counters[Counter.receiveBatches]);
    return { offered: blast.sent ?? 0, delivered, cpuMicros: used.user + used.system, perCallback };
  } finally {
    await socket.close();
  }
}

async function sendRound(backend, rate) {
  let port = 0;
  let portSeen;
  const portKnown = new Promise((resolve) => (portSeen = resolve));
  const sink = runTool(['sink', ADDRESS, String(seconds + 3)], seconds + 6, (key, value) => {
    if (key === 'port') {
      port = value;
      portSeen();
    }
  });
  await portKnown;
  const socket = await backend.open({
    address: ADDRESS,
    batch: createReceiveBatch({ maxBatch: 64 }),
    onBatch: () => undefined,
    sendBufferSize: BUFFER,
  });
  const to = createEndpoint(ADDRESS, port);
  const payload = new Uint8Array(SIZE);
  let offered = 0;
  const cpu = process.cpuUsage();
  try {
    const start = performance.now();
    const total = Math.floor(rate * seconds);
    // One tick per millisecond: send what is due, then sleep.
    while (offered < total && performance.now() - start < (seconds + 2) * 1000) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      for (; offered < due; offered++) socket.send(payload, to);
      socket.flush();
      await sleep(1);
    }
  } finally {
    await socket.close();
  }
  const used = process.cpuUsage(cpu);
  const result = await sink;
  return { offered, delivered: result.received ?? 0, cpuMicros: used.user + used.system };
}

const rows = [];
for (const direction of directions) {
  for (const rate of rates) {
    const samples = new Map(backends.map((b) => [b.name, []]));
    for (let round = 0; round < rounds; round++) {
      // Alternate which backend goes first, so drift in the machine's load hits both alike.
      const order = round % 2 === 0 ? backends : [...backends].reverse();
      for (const backend of order) {
        const run = direction === 'receive' ? receiveRound : sendRound;
        const sample = await run(backend, rate);
        samples.get(backend.name).push(sample);
      }
    }
    for (const backend of backends) {
      const list = samples.get(backend.name);
      rows.push({
        direction,
        offeredPps: rate,
        backend: backend.name,
        deliveredPps: median(list.map((s) => s.delivered / seconds)),
        lossPercent: median(
          list.map((s) => (s.offered > 0 ? (100 * (s.offered - s.delivered)) / s.offered : 0)),
        ),
        cpuMicrosPerPacket: median(
          list.map((s) => (s.delivered > 0 ? s.cpuMicros / s.delivered : Infinity)),
        ),
        rounds: list,
      });
    }
  }
}

// Ratios, and the rate where dgram saturates (first offered rate it loses more than 1% at).
const summary = [];
for (const direction of directions) {
  const of = (name, rate) =>
    rows.find((r) => r.direction === direction && r.backend === name && r.offeredPps === rate);
  const saturation =
    rates.find((rate) => (of('dgram', rate)?.lossPercent ?? 0) > 1) ?? rates[rates.length - 1];
  for (const rate of rates) {
    const d = of('dgram', rate);
    const n = of('linux-mmsg', rate);
    summary.push({
      direction,
      offeredPps: rate,
      ppsRatio: n.deliveredPps / d.deliveredPps,
      cpuRatio: n.cpuMicrosPerPacket / d.cpuMicrosPerPacket,
      dgramSaturated: rate === saturation,
    });
  }
}

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
console.log(
  `\nbond IO benchmark: ${SIZE}-byte datagrams on loopback, ${seconds} s per round, median of ${rounds} rounds`,
);
console.log(
  `\n${markdownTable(
    ['direction', 'offered pps', 'backend', 'delivered pps', 'loss %', 'CPU us/pkt'],
    rows.map((r) => [
      r.direction,
      fmt(r.offeredPps),
      r.backend,
      fmt(r.deliveredPps),
      fmt(r.lossPercent, 2),
      fmt(r.cpuMicrosPerPacket, 3),
    ]),
  )}`,
);
console.log('\nlinux-mmsg / dgram (same run): delivered pps ratio, CPU per packet ratio\n');
console.log(
  markdownTable(
    ['direction', 'offered pps', 'pps ratio', 'CPU/pkt ratio', 'dgram saturates'],
    summary.map((s) => [
      s.direction,
      fmt(s.offeredPps),
      `x${fmt(s.ppsRatio, 2)}`,
      `x${fmt(s.cpuRatio, 3)}`,
      s.dgramSaturated ? 'here' : '',
    ]),
  ),
);
writeOutputs(
  {
    benchmark: 'batched-io',
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
    size: SIZE,
    seconds,
    rounds,
    rows,
    summary,
  },
  values,
);
