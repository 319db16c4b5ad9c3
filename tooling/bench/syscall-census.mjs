#!/usr/bin/env node
// Counts a running process's system calls (by kind, with how many returned nothing) and each of its
// threads' context switches and CPU over a window, per packet. A diagnostic beside the benchmarks
// (performance.md, section 3, fourth round): start it, then the benchmark, in the same shell.
//
//   node tooling/bench/syscall-census.mjs --match '^[^ ]*node [^ ]*apps/sender/dist/bin.js' \
//     --after 9 --seconds 5 --pps 1900 &
//   node tooling/bench/sender-bench.mjs --rates 20 --seconds 20 --warmup 5 --rounds 1 --systems bond
//
// --match: a regular expression for the process's command line (/proc/PID/cmdline, arguments
// joined by spaces); the first process that matches is measured (waits up to --wait seconds).
// --after: seconds to wait once it is found (past the benchmark's warm-up). --seconds: the window.
// --pps: the packets per second the benchmark offers, to give per-packet figures.
// System calls are counted from the raw_syscalls:sys_exit tracepoint (`perf record -p PID`), so
// the counts are exact; switches and CPU come from /proc/PID/task/*/{status,schedstat,stat} before
// and after the window (CPU from schedstat, in ns; its user/system split from stat, in 10 ms
// ticks). Tracing adds a little to each system call, so a process making more calls is slowed
// more: compare CPU between processes with the benchmark itself, not with this census.
// Needs perf and the right to trace the process (root, or kernel.perf_event_paranoid <= 1).
// Linux x86_64 or arm64.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { markdownTable, requireOption, round } from './lib/results.mjs';
import { sleep } from './lib/processes.mjs';
import { benchArgs } from './lib/command-line.mjs';

const { values } = benchArgs(import.meta.url, {
  options: {
    match: { type: 'string' },
    after: { type: 'string', default: '9' },
    seconds: { type: 'string', default: '5' },
    pps: { type: 'string', default: '1900' },
    wait: { type: 'string', default: '90' },
    label: { type: 'string' },
  },
});
requireOption(
  values.match !== undefined,
  '--match REGEX is required (the command line to measure)',
);
const pattern = new RegExp(values.match);
const after = Number(values.after);
const seconds = Number(values.seconds);
const pps = Number(values.pps);
const waitSeconds = Number(values.wait);
for (const [name, value] of Object.entries({ after, wait: waitSeconds })) {
  requireOption(Number.isFinite(value) && value >= 0, `--${name}: give a number of 0 or more`);
}
// Every per-packet figure divides by pps x seconds.
for (const [name, value] of Object.entries({ seconds, pps })) {
  requireOption(Number.isFinite(value) && value > 0, `--${name}: give a number above 0`);
}

// The calls these processes make, by number (x86_64 and arm64 differ); others print as NR n.
const NAMES = {
  x64: {
    0: 'read',
    1: 'write',
    7: 'poll',
    9: 'mmap',
    10: 'mprotect',
    11: 'munmap',
    28: 'madvise',
    39: 'getpid',
    44: 'sendto',
    45: 'recvfrom',
    46: 'sendmsg',
    47: 'recvmsg',
    55: 'getsockopt',
    202: 'futex',
    228: 'clock_gettime',
    232: 'epoll_wait',
    233: 'epoll_ctl',
    270: 'pselect6',
    271: 'ppoll',
    281: 'epoll_pwait',
    299: 'recvmmsg',
    307: 'sendmmsg',
    441: 'epoll_pwait2',
  },
  arm64: {
    22: 'epoll_pwait',
    21: 'epoll_ctl',
    63: 'read',
    64: 'write',
    72: 'pselect6',
    73: 'ppoll',
    98: 'futex',
    113: 'clock_gettime',
    206: 'sendto',
    207: 'recvfrom',
    209: 'getsockopt',
    211: 'sendmsg',
    212: 'recvmsg',
    215: 'munmap',
    222: 'mmap',
    226: 'mprotect',
    233: 'madvise',
    243: 'recvmmsg',
    269: 'sendmmsg',
    172: 'getpid',
    441: 'epoll_pwait2',
  },
}[arch()];
requireOption(NAMES !== undefined, `this census knows x64 and arm64 system calls, not ${arch()}`);
// /proc's utime and stime count clock ticks (USER_HZ, 100 on Linux): 10 ms each.
const TICK_MS = 10;
const WAITS = new Set(['epoll_pwait', 'epoll_wait', 'epoll_pwait2', 'pselect6', 'poll', 'ppoll']);

function findProcess() {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let command;
    try {
      command = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').join(' ').trim();
    } catch {
      continue; // gone meanwhile
    }
    if (pattern.test(command)) return { pid: Number(entry), command };
  }
  return undefined;
}

/** Per thread: CPU ns, voluntary and involuntary switches. */
function threads(pid) {
  const out = new Map();
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'latin1');
      const cpuNs = Number(
        readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0],
      );
      const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
      const name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?';
      // utime and stime (fields 14 and 15 of stat; the fields after the name's closing parenthesis).
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, {
        name,
        cpuNs,
        userTicks: Number(rest[11]),
        systemTicks: Number(rest[12]),
        voluntary: field('voluntary_ctxt_switches'),
        involuntary: field('nonvoluntary_ctxt_switches'),
      });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

let found;
const deadline = Date.now() + waitSeconds * 1000;
while ((found = findProcess()) === undefined && Date.now() < deadline) await sleep(100);
if (found === undefined) {
  process.stderr.write(`no process matching ${pattern} appeared within ${waitSeconds} s\n`);
  process.exit(1);
}
const { pid, command } = found;
await sleep(after * 1000);
const work = mkdtempSync(join(tmpdir(), 'bond-syscall-census-'));
try {
  const data = join(work, 'perf.data');
  const before = threads(pid);
  const record = spawnSync(
    'perf',
    [
      'record',
      '-q',
      '-e',
      'raw_syscalls:sys_exit',
      '-p',
      String(pid),
      '-o',
      data,
      '--',
      'sleep',
      String(seconds),
    ],
    { encoding: 'utf8', timeout: (seconds + 30) * 1000 },
  );
  const afterThreads = threads(pid);
  if (record.status !== 0) {
    throw new Error(
      `perf record failed (${record.error?.message ?? record.stderr.trim()}); is perf installed and may this user trace ${pid}?`,
    );
  }
  const script = spawnSync('perf', ['script', '-i', data, '-F', 'tid,trace'], {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    timeout: 120_000,
  });
  if (script.error !== undefined || script.status !== 0) {
    // A partial read (timeout, output over the buffer) would print tables of too few calls.
    throw new Error(
      `perf script failed (${script.error?.message ?? script.stderr.trim()}): no figures from a partial read`,
    );
  }
  const packets = pps * seconds;
  const calls = new Map(); // name -> { calls, empty }
  let total = 0;
  for (const line of script.stdout.split('\n')) {
    const m = /NR (\d+) = (-?\d+)/.exec(line);
    if (m === null) continue;
    const name = NAMES[m[1]] ?? `NR ${m[1]}`;
    const result = Number(m[2]);
    const row = calls.get(name) ?? { calls: 0, empty: 0 };
    row.calls += 1;
    // "Empty": a wait that returned nothing ready, or a call that failed with EAGAIN (-11).
    if ((WAITS.has(name) && result === 0) || result === -11) row.empty += 1;
    calls.set(name, row);
    total += 1;
  }
  const label = values.label ?? command.split(' ')[0].split('/').at(-1);
  console.log(`${label} (pid ${pid}): ${command}`);
  console.log(`window ${seconds} s after ${after} s, ${packets} packets offered (${pps}/s)\n`);
  const callRows = [...calls.entries()]
    .sort((a, b) => b[1].calls - a[1].calls)
    .map(([name, row]) => [name, row.calls, round(row.calls / packets, 3), row.empty]);
  callRows.push(['all', total, round(total / packets, 3), null]);
  console.log(
    markdownTable(
      ['system call', 'calls', 'per packet', 'returned nothing (wait 0 or EAGAIN)'],
      callRows,
    ),
  );
  const threadRows = [];
  for (const [tid, end] of afterThreads) {
    const start = before.get(tid);
    if (start === undefined) continue;
    const cpuMs = (end.cpuNs - start.cpuNs) / 1e6;
    const voluntary = end.voluntary - start.voluntary;
    const involuntary = end.involuntary - start.involuntary;
    if (cpuMs === 0 && voluntary === 0 && involuntary === 0) continue;
    threadRows.push([
      `${tid}${tid === String(pid) ? ' (main)' : ''} ${end.name}`,
      round(cpuMs, 1),
      round((cpuMs * 1000) / packets, 2),
      (end.userTicks - start.userTicks) * TICK_MS,
      (end.systemTicks - start.systemTicks) * TICK_MS,
      voluntary,
      involuntary,
      round((voluntary + involuntary) / packets, 3),
    ]);
  }
  // Threads there at both ends of the window that neither ran nor switched in it.
  let idle = 0;
  for (const tid of afterThreads.keys()) if (before.has(tid)) idle += 1;
  idle -= threadRows.length;
  console.log('');
  console.log(
    markdownTable(
      [
        'thread',
        'CPU ms',
        'CPU us/packet',
        'user ms (ticks)',
        'system ms (ticks)',
        'sleeps (voluntary)',
        'preempted (involuntary)',
        'switches/packet',
      ],
      threadRows,
    ),
  );
  console.log(`(${idle} more thread(s) neither ran nor switched in the window)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
