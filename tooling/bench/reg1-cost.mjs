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
// Prints, per kind, the median over the rounds of wall time and process CPU per datagram, ms, and
// the bytes of V8 heap allocated per datagram (the young generation's growth over the run: it runs
// with a young generation large enough that no collection happens during a measurement; "n/a"
// when one did). Hostile datagrams (REG1, forged REG2) should allocate nothing.
import { spawnSync } from 'node:child_process';
import { getRandomValues, randomInt } from 'node:crypto';
import v8 from 'node:v8';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Address, encodeReg1, encodeReg2 } from '../../packages/wire/dist/index.js';
import { benchArgs } from './lib/command-line.mjs';

// A young generation that holds a whole measurement: allocation is read from its growth.
const YOUNG = '--max-semi-space-size=128';
if (!process.execArgv.includes(YOUNG)) {
  const again = spawnSync(
    process.execPath,
    [...process.execArgv, YOUNG, '--min-semi-space-size=128', ...process.argv.slice(1)],
    { stdio: 'inherit' },
  );
  process.exit(again.status ?? 1);
}

const { values } = benchArgs(import.meta.url, {
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

/** Takes every transmit and event (a runtime sends each transmit at once; here they are dropped). */
function drain(engine) {
  while (engine.pollTransmit() !== undefined);
  while (engine.pollEvent() !== undefined);
}

const youngBytes = () =>
  v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_used_size ??
  0;

/**
 * Runs `step(i)` `count` times; returns ms per step (wall and CPU) and bytes allocated per step
 * (undefined when a collection emptied the young generation meanwhile).
 */
function measure(step) {
  const young0 = youngBytes();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) step(i);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const grown = youngBytes() - young0;
  return {
    wall: wall / count,
    cpu: (cpu.user + cpu.system) / 1000 / count,
    bytes: grown >= 0 ? grown / count : undefined,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { reg1: [], reg2Valid: [], reg2Forged: [] };
for (let round = 0; round < rounds; round++) {
  const engine = new ReceiverEngine({ random });
  let now = 1000;
  results.reg1.push(
    measure((i) => {
      // A whole ms per 100 datagrams: an integer clock, as a runtime's one reading per batch is not
      // a fresh boxed number per datagram (a fractional step would be, and be counted here).
      if (i % 100 === 0) now += 1;
      engine.handleDatagram(now, sources[i], reg1s[i]);
      drain(engine);
    }),
  );
  // REG2 answers (the full group id) to send back from the same source, from REG1 answered again
  // (nothing is kept between REG1s); copied, as an answer's bytes are the engine's until its next
  // input.
  const reg2s = [];
  for (let i = 0; i < count; i++) {
    engine.handleDatagram(now, sources[i], reg1s[i]);
    for (let t = engine.pollTransmit(); t; t = engine.pollTransmit()) {
      if (t.bytes.length === 258) reg2s.push(t.bytes.slice());
    }
    while (engine.pollEvent() !== undefined);
  }
  if (reg2s.length === count) {
    results.reg2Valid.push(
      measure((i) => {
        // A whole ms per 100 datagrams: an integer clock, as a runtime's one reading per batch is not
        // a fresh boxed number per datagram (a fractional step would be, and be counted here).
        if (i % 100 === 0) now += 1;
        engine.handleDatagram(now, sources[i], reg2s[i]);
        drain(engine);
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
      // A whole ms per 100 datagrams: an integer clock, as a runtime's one reading per batch is not
      // a fresh boxed number per datagram (a fractional step would be, and be counted here).
      if (i % 100 === 0) now += 1;
      engine.handleDatagram(now, sources[i], forged[i]);
      drain(engine);
    }),
  );
}

console.log(
  `| datagram | per datagram, wall ms | per datagram, CPU ms | allocated per datagram, bytes | rounds x count |`,
);
console.log(`|---|---|---|---|---|`);
for (const [kind, list] of Object.entries(results)) {
  if (list.length === 0) continue;
  const wall = median(list.map((r) => r.wall));
  const cpu = median(list.map((r) => r.cpu));
  const measured = list.map((r) => r.bytes).filter((b) => b !== undefined);
  const bytes = measured.length === 0 ? 'n/a' : median(measured).toFixed(1);
  console.log(
    `| ${kind} | ${wall.toFixed(4)} | ${cpu.toFixed(4)} | ${bytes} | ${list.length} x ${count} |`,
  );
}
