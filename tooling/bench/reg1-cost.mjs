#!/usr/bin/env node
// The CPU cost of registration in core's receiver engine (issue 17): how long one REG1 takes, from
// `handleDatagram` to its reply drained with `pollTransmit`/`pollEvent`, as a flood from many
// sources would offer it (each REG1 from its own 127.x source, the engine at its default limits).
// Also, after REG1: a REG2 carrying the id a REG1 answer gave (it creates the group), and a REG2
// with a forged id (answered REG_NGP). Core only: no sockets (the runtime's upstream socket per
// group is not in these figures). Not run in CI; run by hand after `pnpm build`:
//
//   node tooling/bench/reg1-cost.mjs [--count 20000] [--rounds 5] [--core FILE]
//
// --core: another build of @bond/core's entry to measure instead (for example an older commit's
// packages/core/src bundled with esbuild), so a before/after pair runs on the same machine.
//
// Prints, per kind, the median over the rounds of wall time and process CPU per datagram, ms.
import { getRandomValues, randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Address, encodeReg1, encodeReg2 } from '../../packages/wire/dist/index.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '5' },
    core: { type: 'string' },
  },
});
const { ReceiverEngine } = await import(
  values.core === undefined
    ? '../../packages/core/dist/index.js'
    : pathToFileURL(resolve(values.core)).href
);
const count = Number(values.count);
const rounds = Number(values.rounds);
if (!(Number.isInteger(count) && count > 0 && Number.isInteger(rounds) && rounds > 0)) {
  console.error('--count and --rounds must be whole numbers above 0');
  process.exit(2);
}

const random = {
  fillBytes: (bytes) => getRandomValues(bytes),
  nextFloat: () => randomInt(0, 2 ** 48 - 1) / 2 ** 48,
};

/** `count` distinct sources on 127.0.0.0/8 (2,000 IPs, many ports each, as the flood in issue 17). */
const sources = Array.from({ length: count }, (_, i) =>
  Address.parse(`127.${1 + ((i >> 8) % 8)}.${i & 0xff}.${1 + (i % 7)}`, 10000 + (i % 50000)),
);
const reg1s = sources.map(() => {
  const id = new Uint8Array(128);
  getRandomValues(id);
  return encodeReg1(id);
});

function drain(engine, sink) {
  for (let t = engine.pollTransmit(); t; t = engine.pollTransmit()) sink.push(t.bytes);
  while (engine.pollEvent() !== undefined);
}

/** Runs `step(i)` `count` times; returns ms per step (wall and CPU). */
function measure(step) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) step(i);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wall: wall / count, cpu: (cpu.user + cpu.system) / 1000 / count };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { reg1: [], reg2Valid: [], reg2Forged: [] };
for (let round = 0; round < rounds; round++) {
  const engine = new ReceiverEngine({ random });
  const replies = [];
  let now = 1000;
  results.reg1.push(
    measure((i) => {
      now += 0.01;
      engine.handleDatagram(now, sources[i], reg1s[i]);
      drain(engine, replies);
    }),
  );
  // The REG2 answers (the full group id), sent back from the same source.
  const reg2s = replies.filter((reply) => reply.length === 258).map((reply) => reply.slice());
  const sink = [];
  if (reg2s.length === count) {
    results.reg2Valid.push(
      measure((i) => {
        now += 0.01;
        engine.handleDatagram(now, sources[i], reg2s[i]);
        drain(engine, sink);
      }),
    );
  }
  const forged = reg1s.map(() => {
    const id = new Uint8Array(256);
    getRandomValues(id);
    return encodeReg2(id);
  });
  results.reg2Forged.push(
    measure((i) => {
      now += 0.01;
      engine.handleDatagram(now, sources[i], forged[i]);
      drain(engine, sink);
    }),
  );
}

console.log(`| datagram | per datagram, wall ms | per datagram, CPU ms | rounds x count |`);
console.log(`|---|---|---|---|`);
for (const [kind, list] of Object.entries(results)) {
  if (list.length === 0) continue;
  const wall = median(list.map((r) => r.wall));
  const cpu = median(list.map((r) => r.cpu));
  console.log(`| ${kind} | ${wall.toFixed(4)} | ${cpu.toFixed(4)} | ${list.length} x ${count} |`);
}
