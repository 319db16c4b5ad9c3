// The parts every process-level benchmark shares: compiling a native tool, running child processes
// whose output lines can be awaited, reading a process's CPU time and resident memory from /proc,
// and picking a free loopback UDP port. Linux only (/proc). Every child is killed after a time
// limit, so a benchmark cannot leave processes behind even when it fails.
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

/** tooling/bench. */
export const benchDir = join(import.meta.dirname, '..');
/** The repository root. */
export const rootDir = join(benchDir, '..', '..');

/**
 * Compiles `tooling/bench/NAME.c` with `cc -O2` into `tooling/bench/build/NAME` and returns the
 * executable's path. Throws when there is no C compiler or the source does not compile.
 */
export function compileTool(name, libraries = []) {
  const output = join(benchDir, 'build', name);
  mkdirSync(join(benchDir, 'build'), { recursive: true });
  // Compiled under a private name, then renamed over the old one: a benchmark running at the same
  // time keeps executing the file it started, never a half-written one.
  const scratch = `${output}.${process.pid}`;
  const compiled = spawnSync(
    'cc',
    ['-O2', '-o', scratch, join(benchDir, `${name}.c`), ...libraries],
    { stdio: 'inherit' },
  );
  if (compiled.status !== 0) {
    rmSync(scratch, { force: true });
    throw new Error(
      `cannot compile tooling/bench/${name}.c (is a C compiler installed? try cc${libraries.length > 0 ? `; it links ${libraries.join(' ')}` : ''})`,
    );
  }
  renameSync(scratch, output);
  return output;
}

/** The built entry point `relative` (from the root); throws a "run pnpm build" error if missing. */
export function builtEntry(relative) {
  const path = join(rootDir, relative);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run \`npx -y pnpm@10.34.9 build\` first`);
  }
  return path;
}

/**
 * A child process whose stdout and stderr lines can be awaited with `line(pattern)`; killed with
 * SIGKILL after `limitSeconds` at most. `stop()` sends SIGTERM and waits for the exit.
 */
export function startChild(command, args, limitSeconds) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = [];
  const waiters = [];
  const onLine = (line) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  child.stdin.on('error', () => undefined); // writes after the child exited are not an error here
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.on('error', (error) => onLine(`spawn error: ${error.message}`));
  const limit = setTimeout(() => child.kill('SIGKILL'), limitSeconds * 1000);
  void exited.then(() => clearTimeout(limit));
  const name = `${command.split('/').at(-1)} ${args[0] ?? ''}`.trim();
  // Once its output is closed, a child prints nothing more: waiting for a line is then an error.
  let closed = false;
  child.on('close', () => {
    closed = true;
    for (const waiter of waiters.splice(0)) {
      waiter.reject(
        new Error(
          `${name} exited before printing a line matching ${waiter.pattern}; its last output: ${lines.slice(-20).join(' | ')}`,
        ),
      );
    }
  });
  const awaitLine = (pattern, timeoutMs, from) => {
    const seen = lines.slice(from).find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      if (closed) {
        waiter.reject(
          new Error(
            `${name} exited before printing a line matching ${pattern}; its last output: ${lines.slice(-20).join(' | ')}`,
          ),
        );
        return;
      }
      waiters.push(waiter);
      const timer = setTimeout(() => {
        const index = waiters.indexOf(waiter);
        if (index >= 0) {
          waiters.splice(index, 1);
          reject(
            new Error(
              `${name}: no line matching ${pattern} within ${timeoutMs} ms; its last output: ${lines.slice(-20).join(' | ')}`,
            ),
          );
        }
      }, timeoutMs);
    });
  };
  return {
    child,
    lines,
    exited,
    /** Resolves with the first line (seen before or after the call) matching `pattern`. */
    line(pattern, timeoutMs = 10_000) {
      return awaitLine(pattern, timeoutMs, 0);
    },
    /** Resolves with the first line printed after this call that matches `pattern`. */
    next(pattern, timeoutMs = 10_000) {
      return awaitLine(pattern, timeoutMs, lines.length);
    },
    /** Lines matching `pattern` seen so far. */
    count(pattern) {
      return lines.filter((line) => pattern.test(line)).length;
    },
    /** Writes one line to the child's stdin. */
    send(line) {
      child.stdin.write(`${line}\n`);
    },
    /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`). */
    async stop(graceMs = 3000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(kill);
      }
      await exited;
    },
  };
}

/** Stops every child given (in parallel), ignoring ones that already exited or were never made. */
export async function stopAll(...children) {
  await Promise.all(children.filter((c) => c !== undefined).map((c) => c.stop()));
}

/** The number at the end of a "key value" output line. */
export const lastNumber = (line) => Number(line.split(' ').at(-1));

const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** utime + stime of `pid` (all its threads), seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/**
 * utime+stime of `pid` and of its live descendants (a primary and its workers), seconds, from
 * /proc/<pid>/task/<tid>/children. A descendant that exits meanwhile is left out.
 */
export function treeCpuSeconds(pid) {
  let total = 0;
  const pending = [pid];
  for (let guard = 0; pending.length > 0 && guard < 1000; guard++) {
    const next = pending.pop();
    try {
      total += cpuSeconds(next);
      for (const task of readdirSync(`/proc/${next}/task`)) {
        const children = readFileSync(`/proc/${next}/task/${task}/children`, 'utf8').trim();
        if (children !== '') pending.push(...children.split(' ').map(Number));
      }
    } catch {
      // Exited between the listing and the read: nothing more to count.
    }
  }
  return total;
}

/** `VmRSS` (resident now) and `VmHWM` (peak resident) of `pid`, KiB, from /proc/<pid>/status. */
export function residentKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/**
 * Datagrams the kernel dropped on the UDP socket bound to 127.0.0.1:`port` (receive buffer full),
 * from the `drops` column of /proc/net/udp; null if no such socket is open.
 */
export function udpDrops(port) {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === local) return Number(fields.at(-1));
  }
  return null;
}

/**
 * Datagrams the kernel dropped on every UDP socket bound to local port `port` on any address, IPv4
 * (/proc/net/udp) and IPv6 (/proc/net/udp6: a receiver listening on `::` shows there), from their
 * `drops` column; null if no such socket is open.
 */
export function udpDropsOnPort(port) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let drops = null;
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue; // no IPv6 on this machine
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.split(':')[1] === hexPort) drops = (drops ?? 0) + Number(fields.at(-1));
    }
  }
  return drops;
}

/**
 * A UDP port free on `host` right now (bound and released; the usual small race applies). For a
 * child that binds the wildcard address (BELABOX `srtla_send` binds `0.0.0.0`), ask with
 * `'0.0.0.0'`: a port free on 127.0.0.1 may still be bound on another loopback address (a flood's
 * sources), and the child's bind then fails with EADDRINUSE.
 */
export async function freeUdpPort(host = '127.0.0.1') {
  const socket = createSocket('udp4');
  await new Promise((resolve) => socket.bind(0, host, resolve));
  const { port } = socket.address();
  await new Promise((resolve) => socket.close(resolve));
  return port;
}

/** A TCP port free on 127.0.0.1 right now (for a child's HTTP server). */
export async function freeTcpPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
