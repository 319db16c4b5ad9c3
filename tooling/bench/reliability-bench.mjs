#!/usr/bin/env node
// bond's reliability benchmark: does a receiver under attack keep a live stream whole? Each run
// starts one receiver (bond-receiver, the built CLI, or irlserver's C++ srtla_rec, alternating
// which goes first) with a real live stream through it:
//
//   stamped payloads -> srt-live-transmit (caller) -> BELABOX srtla_send (links 127.0.0.2, .3;
//     --stream-sender bond: bond-sender instead)
//     -> the receiver -> srt-live-transmit (listener) -> this process, which counts the payloads
//
// and, once the stream has flowed for --settle seconds (default 10), one attack against the
// receiver's SRTLA port from `hostile-tool` (C, paced, batched; tooling/bench/hostile-tool.c).
// The settle time is there because a receiver under attack has usually run for a while: in its
// first seconds bond-receiver still compiles code on first use and V8 runs its first full
// collection (about 8 s after start), each a millisecond or more of main-thread time once, which
// an attack in that window would count as reply delay (docs/performance.md section 6). --settle 1
// measures one attacked in its first seconds. The attacks:
//
//   fuzz-steady   --hostile datagrams (default 10^6) at --fuzz-pps (20,000/s): random bytes,
//                 truncated and bit-flipped captures (../shared/vectors), retyped packets, odd
//                 keepalives, SRT control garbage, NAKs with huge ranges, unknown REG2
//   fuzz-bursts   the same, in bursts of --burst datagrams back to back (same average rate)
//   reg1-R        well-formed REG1 at R per second (--reg1-rates 1000,2000,5000) for
//                 --reg1-seconds, from --sources addresses 127.42.x.y
//   new-sender    a REG1 flood at --new-sender-rate (after --settle seconds without a stream); one
//                 second into it the live stream's sender starts: does it get in, how long until
//                 its first payload, what does it lose?
//
// Meanwhile `hostile-tool probe` sends a REG1 from its own socket every --probe-ms (10: 500 probes
// in a 5 s attack, so p99 is the 5th-slowest answer; at 50 ms it was the 2nd-slowest of 100, a
// single hiccup) and times the answer. Per run: live-stream payloads lost during the attack (and until 1 s after it), kernel
// drops at the receiver's listening socket (/proc/net/udp, udp6), reply delay p50/p99/max and
// unanswered probes, the receiver's CPU seconds over the attack (/proc/PID/stat), VmRSS before,
// VmHWM (peak) and VmRSS after (once the flood's groups have expired: bond's /api/v1/stats shows
// no pending group; irlserver's pending timeout, 5 s, has passed: --after, default 6 s). Table:
// medians over --rounds, ratio bond/irlserver per row. Not timed in CI:
// tooling/test/reliability-bench.test.ts runs it tiny and asserts no figure. HOSTILE_PROBE_LOG=FILE
// makes the probe append every answer's send time (CLOCK_MONOTONIC) and delay to FILE, to line
// slow answers up with a profile of the receiver (`perf record -k CLOCK_MONOTONIC`).
//
// Usage: node tooling/bench/reliability-bench.mjs [--quick] [--attacks fuzz-steady,...]
//          [--hostile 1000000] [--fuzz-pps 20000] [--burst 20000] [--reg1-rates 1000,2000,5000]
//          [--reg1-seconds 5] [--sources 2000] [--new-sender-rate 2000] [--new-sender-seconds 8]
//          [--stream-pps 500] [--stream-sender belabox|bond] [--latency 500] [--probe-ms 10] [--after 6]
//          [--settle 10] [--rounds 1]
//          [--systems auto|bond,irlserver] [--peers DIR] [--json FILE] [--svg DIR]
// Needs `pnpm build` (apps/receiver/dist, tooling/stand/dist), a C compiler, srt-live-transmit and
// the real peers (built from ../shared/peers on first use). Linux only. Loopback only; every
// process is bounded in time and stopped at the end of its run, also when the run fails.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exitBadOption, headerComment, helpText, isBadOption } from './lib/command-line.mjs';
import {
  builtEntry,
  compileTool,
  cpuSeconds,
  freeTcpPort,
  freeUdpPort,
  residentKiB,
  rootDir,
  sleep,
  startChild as start,
  stopAll,
  udpDropsOnPort,
} from './lib/processes.mjs';
import { PEERS_DIR, peerBinaries } from './lib/peers.mjs';
import { markdownTable, median, outputOptions, round, writeOutputs } from './lib/results.mjs';

const DEFAULTS = {
  hostile: 1_000_000,
  reg1Seconds: 5,
  newSenderSeconds: 8,
};
const QUICK = { hostile: 100_000, reg1Seconds: 2, newSenderSeconds: 5 };

/** The captured datagrams of ../shared/vectors as one file of (u16 length, bytes) records. */
function writeCaptures(file) {
  const folder = join(rootDir, '..', 'shared', 'vectors');
  const chunks = [];
  let names = [];
  try {
    names = ['srtla-session-belabox-to-belabox.json', 'srtla-session-belabox-to-irlserver.json'];
    for (const name of names) {
      const capture = JSON.parse(readFileSync(join(folder, name), 'utf8'));
      for (const datagram of capture.datagrams ?? []) {
        const bytes = Buffer.from(datagram.hex ?? '', 'hex');
        if (bytes.length === 0 || bytes.length > 1500) continue;
        const length = Buffer.alloc(2);
        length.writeUInt16BE(bytes.length);
        chunks.push(length, bytes);
      }
    }
  } catch (error) {
    process.stderr.write(
      `captures from ${folder} left out (the capture-based fuzz kinds send random bytes): ${error.message}\n`,
    );
    return undefined;
  }
  writeFileSync(file, Buffer.concat(chunks));
  return file;
}

/** The attacks, named as on the command line. */
function attackPlan(options) {
  const plan = [
    {
      name: 'fuzz-steady',
      title: `${options.hostile} hostile datagrams, steady ${options.fuzzPps}/s`,
      kind: 'fuzz',
      pps: options.fuzzPps,
      count: options.hostile,
      burst: 0,
    },
    {
      name: 'fuzz-bursts',
      title: `${options.hostile} hostile datagrams in bursts of ${options.burst}`,
      kind: 'fuzz',
      pps: options.fuzzPps,
      count: options.hostile,
      burst: options.burst,
    },
    ...options.reg1Rates.map((rate) => ({
      name: `reg1-${rate}`,
      title: `REG1 flood ${rate}/s x ${options.reg1Seconds} s from ${options.sources} sources`,
      kind: 'reg1',
      pps: rate,
      count: Math.round(rate * options.reg1Seconds),
    })),
    {
      name: 'new-sender',
      title: `new sender during a REG1 flood of ${options.newSenderRate}/s`,
      kind: 'new-sender',
      pps: options.newSenderRate,
      count: Math.round(options.newSenderRate * options.newSenderSeconds),
    },
  ];
  return plan.map((attack) => ({ ...attack, seconds: attack.count / attack.pps }));
}

/** The command line's options (parseOptions, --help). */
const OPTIONS = {
  quick: { type: 'boolean', default: false },
  attacks: { type: 'string' },
  hostile: { type: 'string' },
  'fuzz-pps': { type: 'string', default: '20000' },
  burst: { type: 'string', default: '20000' },
  'reg1-rates': { type: 'string', default: '1000,2000,5000' },
  'reg1-seconds': { type: 'string' },
  sources: { type: 'string', default: '2000' },
  'new-sender-rate': { type: 'string', default: '2000' },
  'new-sender-seconds': { type: 'string' },
  'stream-pps': { type: 'string', default: '500' },
  'stream-sender': { type: 'string', default: 'belabox' },
  latency: { type: 'string', default: '500' },
  'probe-ms': { type: 'string', default: '10' },
  after: { type: 'string', default: '6' },
  settle: { type: 'string', default: '10' },
  rounds: { type: 'string', default: '1' },
  systems: { type: 'string', default: 'auto' },
  peers: { type: 'string', default: PEERS_DIR },
  ...outputOptions,
};

/** Parses the command line; throws a usage error naming what is wrong. */
export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: { ...OPTIONS, help: { type: 'boolean', short: 'h', default: false } },
  });
  const base = values.quick ? QUICK : DEFAULTS;
  const options = {
    help: values.help,
    hostile: Number(values.hostile ?? base.hostile),
    fuzzPps: Number(values['fuzz-pps']),
    burst: Number(values.burst),
    reg1Rates: values['reg1-rates'].split(',').map(Number),
    reg1Seconds: Number(values['reg1-seconds'] ?? base.reg1Seconds),
    sources: Number(values.sources),
    newSenderRate: Number(values['new-sender-rate']),
    newSenderSeconds: Number(values['new-sender-seconds'] ?? base.newSenderSeconds),
    streamPps: Number(values['stream-pps']),
    streamSender: values['stream-sender'],
    latencyMs: Number(values.latency),
    probeMs: Number(values['probe-ms']),
    afterSeconds: Number(values.after),
    settleSeconds: Number(values.settle),
    rounds: Number(values.rounds),
    systems: values.systems,
    peers: values.peers,
    json: values.json,
    svg: values.svg,
  };
  const checks = [
    [
      Number.isInteger(options.hostile) && options.hostile >= 1 && options.hostile <= 1e8,
      '--hostile 1..1e8',
    ],
    [options.fuzzPps > 0 && options.fuzzPps <= 1e6, '--fuzz-pps in (0, 1e6]'],
    [
      Number.isInteger(options.burst) && options.burst >= 1 && options.burst <= 1e6,
      '--burst 1..1e6',
    ],
    [
      options.reg1Rates.every((r) => r > 0 && r <= 1e6),
      '--reg1-rates: rates in (0, 1e6], comma-separated',
    ],
    [options.reg1Seconds > 0 && options.reg1Seconds <= 120, '--reg1-seconds in (0, 120]'],
    [
      Number.isInteger(options.sources) && options.sources >= 1 && options.sources <= 60000,
      '--sources 1..60000',
    ],
    [options.newSenderRate > 0 && options.newSenderRate <= 1e6, '--new-sender-rate in (0, 1e6]'],
    [
      options.newSenderSeconds >= 2 && options.newSenderSeconds <= 120,
      '--new-sender-seconds in [2, 120]',
    ],
    [options.streamPps >= 10 && options.streamPps <= 5000, '--stream-pps 10..5000'],
    [['belabox', 'bond'].includes(options.streamSender), '--stream-sender belabox or bond'],
    [options.latencyMs >= 20 && options.latencyMs <= 8000, '--latency 20..8000 (ms)'],
    [options.probeMs >= 1 && options.probeMs <= 10000, '--probe-ms 1..10000'],
    [options.afterSeconds >= 0 && options.afterSeconds <= 60, '--after 0..60 (s)'],
    [options.settleSeconds >= 0 && options.settleSeconds <= 120, '--settle 0..120 (s)'],
    [
      Number.isInteger(options.rounds) && options.rounds >= 1 && options.rounds <= 15,
      '--rounds 1..15',
    ],
  ];
  for (const [ok, message] of checks) {
    if (!ok) throw new Error(`bad option: ${message}`);
  }
  const plan = attackPlan(options);
  const names = plan.map((attack) => attack.name);
  const chosen = values.attacks === undefined ? names : values.attacks.split(',');
  const unknown = chosen.filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    throw new Error(`bad option: --attacks ${unknown.join(',')}: known are ${names.join(', ')}`);
  }
  options.attacks = plan.filter((attack) => chosen.includes(attack.name));
  return options;
}

const SYSTEMS = ['bond', 'irlserver'];
/** The live stream's sender, by --stream-sender. */
const SENDER_NAME = { belabox: 'BELABOX srtla_send', bond: 'bond-sender' };
const LABEL = { bond: 'bond', irlserver: 'irlserver' };

/** Polls `check` every 100 ms until it returns true or `ms` pass; returns whether it did. */
async function until(check, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

/** bond-receiver's groups from its /api/v1/stats (undefined when it does not answer). */
async function bondGroups(httpPort) {
  try {
    const response = await fetch(`http://127.0.0.1:${httpPort}/api/v1/stats`, {
      signal: AbortSignal.timeout(2000),
    });
    const stats = await response.json();
    return stats.groups;
  } catch {
    return undefined;
  }
}

/** One run: `system` under `attack` with a live stream through it. */
async function run(context, system, attack) {
  const { options, tool, bin, peers, stand, captures } = context;
  const work = mkdtempSync(join(tmpdir(), 'bond-reliability-'));
  // Every child is killed after this long: the attack, the settle time before it, and margin.
  const limit = attack.seconds * 3 + 60 + options.settleSeconds;
  const delivered = new Set();
  let firstDeliveredAt;
  let ends;
  let receiver;
  let sender;
  let hostile;
  let probe;
  let writer;
  let next = 0;
  try {
    ends = await stand.openStreamEnds({
      kind: 'srt-live-transmit',
      latencyMs: options.latencyMs,
      workDir: work,
      onPayload: (payload) => {
        const stamp = stand.readStamp(payload);
        if (stamp === undefined) return;
        delivered.add(stamp.number);
        firstDeliveredAt ??= performance.now();
      },
    });
    const port = await freeUdpPort();
    let httpPort;
    if (system === 'bond') {
      httpPort = await freeTcpPort();
      receiver = start(
        process.execPath,
        [
          ...[bin, String(port), '127.0.0.1', String(ends.listenerPort)],
          // Its default log level (info), as users run it: logging under a flood is part of
          // what it costs.
          ...['--http', `127.0.0.1:${httpPort}`, '--log-format', 'json'],
        ],
        limit,
      );
      await until(async () => (await bondGroups(httpPort)) !== undefined, 10_000);
    } else {
      receiver = start(
        peers.irlserverRec,
        [
          ...['--srtla_port', String(port), '--srt_hostname', '127.0.0.1'],
          ...['--srt_port', String(ends.listenerPort)],
        ],
        limit,
      );
      await sleep(500);
    }
    const pid = receiver.child.pid;
    const ips = join(work, 'ips');
    writeFileSync(ips, '127.0.0.2\n127.0.0.3\n');
    /** When and how the stream's sender exited, if it did. */
    const senderExit = { afterMs: undefined, how: '' };
    const startStream = async () => {
      // Chosen now, free for a wildcard bind: srtla_send binds 0.0.0.0, and in the new-sender
      // attack the flood's 2,000 sources (127.42.x.y) already hold ephemeral ports, one of which
      // a port free only on 127.0.0.1 could be ("bind failed: Address already in use": 2 of 10
      // new-sender runs before, for both receivers alike).
      const senderPort = await freeUdpPort('0.0.0.0');
      // bond-sender takes srtla_send's four positional arguments.
      const args = [String(senderPort), '127.0.0.1', String(port), ips];
      sender =
        options.streamSender === 'bond'
          ? start(process.execPath, [context.senderBin, ...args, '--log-format', 'json'], limit)
          : start(peers.belaboxSend, args, limit);
      const senderStartedAt = performance.now();
      sender.child.once('exit', (code, signal) => {
        senderExit.afterMs = performance.now() - senderStartedAt;
        senderExit.how = signal === null ? `code ${code}` : `signal ${signal}`;
      });
      await sleep(300);
      await ends.connect(senderPort);
      const perTick = options.streamPps / 100;
      let owed = 0;
      writer = setInterval(() => {
        owed += perTick;
        for (; owed >= 1; owed--) ends.write(stand.stampedPayload(next++, performance.now()));
      }, 10);
    };
    const probeStart = () =>
      start(tool, ['probe', String(port), String(options.probeMs), String(attack.seconds)], limit);
    const attackStart = () =>
      attack.kind === 'fuzz'
        ? start(
            tool,
            [
              ...['fuzz', String(port), String(attack.pps), String(attack.count)],
              ...[String(attack.burst), '1', ...(captures === undefined ? [] : [captures])],
            ],
            limit,
          )
        : start(
            tool,
            [
              'reg1',
              String(port),
              String(attack.pps),
              String(attack.count),
              String(options.sources),
            ],
            limit,
          );
    const row = { system, attack: attack.name };
    let window0;
    let before;
    if (attack.kind === 'new-sender') {
      // The receiver idles as long as the others carry their stream before their attack.
      await sleep(options.settleSeconds * 1000);
      before = { rssKiB: residentKiB(pid).rss, cpu: cpuSeconds(pid), drops: udpDropsOnPort(port) };
      hostile = attackStart();
      probe = probeStart();
      await hostile.line(/^sources /, 20_000);
      await sleep(1000);
      const startedAt = performance.now();
      await startStream();
      const gotIn = await until(
        () => firstDeliveredAt !== undefined,
        Math.max(1000, (attack.seconds - 1) * 1000),
      );
      if (!gotIn && senderExit.afterMs !== undefined && senderExit.afterMs < 2000) {
        // The stream's own sender died at once (a bind that failed, say): that is this harness's
        // failure, not the receiver's refusal, so it is not counted as "did not get in". (One
        // that gives up later, as srtla_send does after 10 s without a connection, is a refusal.)
        throw new Error(
          `${system}: the stream's sender exited ${Math.round(senderExit.afterMs)} ms after it started (${senderExit.how}), before the stream did: ${sender.lines.slice(-3).join(' | ')}`,
        );
      }
      row.gotIn = gotIn;
      row.streamStartedAt = startedAt;
    } else {
      await startStream();
      if (!(await until(() => firstDeliveredAt !== undefined, 15_000))) {
        throw new Error(
          `${system}: the live stream did not start within 15 s (no payload reached the SRT listener): ${receiver.lines.slice(-5).join(' | ')} ${ends.problem() ?? ''}`,
        );
      }
      await sleep(options.settleSeconds * 1000);
      before = { rssKiB: residentKiB(pid).rss, cpu: cpuSeconds(pid), drops: udpDropsOnPort(port) };
      window0 = next;
      probe = probeStart();
      hostile = attackStart();
    }
    const sent = Number(
      (await hostile.line(/^sent /, (attack.seconds * 2 + 15) * 1000)).split(' ').at(-1),
    );
    await sleep(1000);
    let window1 = next;
    const cpu = cpuSeconds(pid) - before.cpu;
    // VmHWM is the kernel's high-water mark as of its last update (it is refreshed lazily), or the
    // RSS now if higher: it can read below an RSS read earlier when RSS has since dipped. The peak
    // over the run is at least what was read before it.
    const peakKiB = Math.max(residentKiB(pid).peak, before.rssKiB);
    const probed = (await probe.line(/^probes /, 15_000)).split(' ').map(Number);
    const delays = (await probe.line(/^delay_ms /, 5000)).split(' ').map(Number);
    // RSS after: the flood's groups have expired (bond: none pending; irlserver: its pending
    // timeout has passed), the live stream's group is still there.
    let groupsAfter = null;
    if (system === 'bond') {
      await until(
        async () => {
          const groups = await bondGroups(httpPort);
          groupsAfter = groups?.length ?? null;
          return groups !== undefined && groups.every((group) => group.state !== 'pending');
        },
        // --after 0: read at once; else up to 4 s more than irlserver is given (its pending
        // timeout is checked every second, bond's housekeeping too).
        options.afterSeconds === 0 ? 0 : (options.afterSeconds + 4) * 1000,
      );
    } else {
      await sleep(options.afterSeconds * 1000);
    }
    const afterKiB = residentKiB(pid).rss;
    const drops = udpDropsOnPort(port) - before.drops;
    clearInterval(writer);
    writer = undefined;
    const written = next;
    ends.flush();
    await sleep(options.latencyMs + 1500);
    const firstNumber = delivered.size === 0 ? undefined : Math.min(...delivered);
    // The new sender's window opens at its first payload delivered (what it wrote before its SRT
    // connection was up is not the receiver's loss); none delivered: the whole stream is lost.
    window0 ??= firstNumber ?? 0;
    let lostInWindow = 0;
    for (let n = window0; n < window1; n++) if (!delivered.has(n)) lostInWindow++;
    let lostAfterStart = 0;
    for (let n = firstNumber ?? 0; n < written; n++) {
      if (!delivered.has(n)) lostAfterStart++;
    }
    if (row.streamStartedAt !== undefined) {
      // When its first payload came (also if only after the flood), and what it lost once in:
      // nothing to count when it did not get in during the flood.
      row.firstPayloadMs =
        firstDeliveredAt === undefined ? null : round(firstDeliveredAt - row.streamStartedAt, 0);
      delete row.streamStartedAt;
      if (!row.gotIn) lostInWindow = null;
      window1 = Math.max(window0, window1);
    }
    Object.assign(row, {
      hostileSent: sent,
      payloadsInWindow: window1 - window0,
      lost: lostInWindow,
      lostSinceFirstPayload: lostAfterStart,
      kernelDrops: drops,
      probes: probed[1],
      probesAnswered: probed[3],
      probesRefused: probed[5],
      probesUnanswered: probed[7],
      replyP50Ms: delays[2] < 0 ? null : delays[2],
      replyP99Ms: delays[4] < 0 ? null : delays[4],
      replyMaxMs: delays[6] < 0 ? null : delays[6],
      cpuSeconds: round(cpu, 2),
      rssBeforeKiB: before.rssKiB,
      rssPeakKiB: peakKiB,
      rssAfterKiB: afterKiB,
      groupsAfter,
    });
    return row;
  } finally {
    if (writer !== undefined) clearInterval(writer);
    await stopAll(hostile, probe, sender, receiver);
    await ends?.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The fields of a row the table and the medians read. */
const FIELDS = [
  'lost',
  'kernelDrops',
  'replyP50Ms',
  'replyP99Ms',
  'replyMaxMs',
  'probesUnanswered',
  'cpuSeconds',
  'rssBeforeKiB',
  'rssPeakKiB',
  'rssAfterKiB',
  'firstPayloadMs',
];

/** Per field the median over the rounds that have it (null when none has). */
function medians(rows) {
  const out = {};
  for (const field of FIELDS) {
    const values = rows.map((row) => row[field]).filter((value) => Number.isFinite(value));
    out[field] = values.length === 0 ? null : round(median(values), 3);
  }
  out.gotIn = rows.some((row) => row.gotIn !== undefined)
    ? `${rows.filter((row) => row.gotIn).length}/${rows.length}`
    : null;
  out.rounds = rows.length;
  return out;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    console.log(helpText(headerComment(readFileSync(import.meta.filename, 'utf8')), OPTIONS));
    return;
  }
  const auto = options.systems === 'auto';
  const systems = (auto ? SYSTEMS.join(',') : options.systems).split(',').filter(Boolean);
  if (systems.length === 0 || systems.some((name) => !SYSTEMS.includes(name))) {
    throw new Error(`bad option: --systems: any of ${SYSTEMS.join(', ')}, comma-separated`);
  }
  const stand = await import('@bond/stand');
  if (!stand.hasSrtLiveTransmit()) {
    throw new Error(
      'srt-live-transmit is not installed (apt-get install srt-tools): the live stream needs it',
    );
  }
  const bin = builtEntry('apps/receiver/dist/bin.js');
  const tool = compileTool('hostile-tool');
  // BELABOX srtla_send carries the live stream for both receivers: the peers are needed.
  const peers = peerBinaries(options.peers);
  const scratch = mkdtempSync(join(tmpdir(), 'bond-reliability-captures-'));
  const captures = writeCaptures(join(scratch, 'captures.bin'));
  const senderBin =
    options.streamSender === 'bond' ? builtEntry('apps/sender/dist/bin.js') : undefined;
  const context = { options, tool, bin, senderBin, peers, stand, captures };
  const runs = [];
  try {
    for (let r = 0; r < options.rounds; r++) {
      for (const attack of options.attacks) {
        // Alternate which system goes first, attack by attack and round by round.
        const turn = (r + options.attacks.indexOf(attack)) % systems.length;
        const order = systems.map((_, i) => systems[(i + turn) % systems.length]);
        for (const system of order) {
          process.stderr.write(`round ${r + 1}: ${attack.name} against ${system}...\n`);
          try {
            const row = await run(context, system, attack);
            runs.push({ round: r + 1, ...row });
            process.stderr.write(
              `  lost ${row.lost}, kernel drops ${row.kernelDrops}, reply p99 ${row.replyP99Ms} ms, CPU ${row.cpuSeconds} s, RSS ${row.rssBeforeKiB} -> ${row.rssPeakKiB} -> ${row.rssAfterKiB} KiB\n`,
            );
          } catch (error) {
            runs.push({ round: r + 1, system, attack: attack.name, error: error.message });
            process.stderr.write(`  failed: ${error.message}\n`);
          }
        }
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const results = options.attacks.map((attack) => {
    const row = { attack: attack.name, title: attack.title };
    for (const system of systems) {
      const done = runs.filter((r) => r.system === system && r.attack === attack.name && !r.error);
      row[system] = done.length === 0 ? null : medians(done);
    }
    return row;
  });
  const ratio = (row, field) => {
    const bond = row.bond?.[field];
    const other = row.irlserver?.[field];
    if (!Number.isFinite(bond) || !Number.isFinite(other)) return null;
    if (other === 0) return bond === 0 ? 1 : null;
    return round(bond / other, 2);
  };
  for (const row of results) {
    row.ratio = Object.fromEntries(FIELDS.map((field) => [field, ratio(row, field)]));
  }

  console.log(
    `reliability under attack: live stream ${options.streamPps} payloads/s (srt-live-transmit -> ${SENDER_NAME[options.streamSender]}, 2 links -> receiver -> srt-live-transmit, latency ${options.latencyMs} ms); attacks start after ${options.settleSeconds} s of stream; probe: a REG1 every ${options.probeMs} ms; ${options.rounds} round(s), medians\n`,
  );
  const cell = (row, system, field) => row[system]?.[field] ?? null;
  const mib = (kib) => (Number.isFinite(kib) ? (kib / 1024).toFixed(1) : null);
  const columns = [
    ['lost', (row, s) => cell(row, s, 'lost')],
    ['kernel drops', (row, s) => cell(row, s, 'kernelDrops')],
    ['reply p50 ms', (row, s) => cell(row, s, 'replyP50Ms')],
    ['reply p99 ms', (row, s) => cell(row, s, 'replyP99Ms')],
    ['reply max ms', (row, s) => cell(row, s, 'replyMaxMs')],
    ['unanswered', (row, s) => cell(row, s, 'probesUnanswered')],
    ['CPU s', (row, s) => cell(row, s, 'cpuSeconds')],
    [
      'RSS MiB before/peak/after',
      (row, s) =>
        row[s] === null
          ? null
          : `${mib(row[s].rssBeforeKiB)}/${mib(row[s].rssPeakKiB)}/${mib(row[s].rssAfterKiB)}`,
    ],
  ];
  console.log(
    markdownTable(
      ['attack', 'system', ...columns.map(([title]) => title)],
      results.flatMap((row) => [
        ...systems.map((system) => [
          row.attack,
          LABEL[system],
          ...columns.map(([, f]) => f(row, system)),
        ]),
        ...(systems.length === 2
          ? [
              [
                row.attack,
                'ratio bond/irlserver',
                row.ratio.lost,
                row.ratio.kernelDrops,
                row.ratio.replyP50Ms,
                row.ratio.replyP99Ms,
                row.ratio.replyMaxMs,
                row.ratio.probesUnanswered,
                row.ratio.cpuSeconds,
                [row.ratio.rssBeforeKiB, row.ratio.rssPeakKiB, row.ratio.rssAfterKiB]
                  .map((v) => v ?? '-')
                  .join('/'),
              ],
            ]
          : []),
      ]),
    ),
  );
  const newSender = results.find((row) => row.attack === 'new-sender');
  if (newSender !== undefined) {
    console.log('');
    console.log(
      markdownTable(
        ['new sender during a flood', ...systems.map((s) => LABEL[s])],
        [
          ['got in (runs)', ...systems.map((s) => newSender[s]?.gotIn ?? null)],
          ['first payload after (ms)', ...systems.map((s) => newSender[s]?.firstPayloadMs ?? null)],
          ['lost after its first payload', ...systems.map((s) => newSender[s]?.lost ?? null)],
        ],
      ),
    );
  }
  const failed = runs.filter((r) => r.error !== undefined);
  if (failed.length > 0) {
    console.log('');
    for (const r of failed)
      console.log(`failed: round ${r.round} ${r.attack} ${r.system}: ${r.error}`);
  }
  writeOutputs(
    {
      benchmark: 'reliability',
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
      systems,
      streamPps: options.streamPps,
      streamSender: SENDER_NAME[options.streamSender],
      latencyMs: options.latencyMs,
      probeMs: options.probeMs,
      settleSeconds: options.settleSeconds,
      rounds: options.rounds,
      attacks: options.attacks,
      results,
      runs,
    },
    options,
  );
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename;
if (isMain) {
  main().catch((error) => {
    if (isBadOption(error)) exitBadOption('reliability-bench.mjs', error);
    process.stderr.write(`reliability-bench: ${error.message}\n`);
    process.exit(1);
  });
}
