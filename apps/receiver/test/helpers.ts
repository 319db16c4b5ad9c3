// Shared test helpers: free loopback ports, bounded waits, child processes that are always
// stopped, and an in-memory log output.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { LogOutput } from '../src/index.js';

/** Whether `command` can be run here (for visible skips when a tool is missing). */
export function hasCommand(command: string, args: readonly string[] = ['-version']): boolean {
  const probe = spawnSync(command, [...args], { stdio: 'ignore', timeout: 5000 });
  return probe.error === undefined;
}

/** A UDP port free on 127.0.0.1 right now. */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) =>
    socket.close(() => {
      resolve();
    }),
  );
  return port;
}

/** Waits until `condition()` holds, polling every 10 ms, for at most `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface TestProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal name) once it exited. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after 2 s; resolves when it is gone. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Give the process a stdin pipe (`child.stdin`). Default: none. */
  readonly stdin?: boolean;
  /** Takes stdout as bytes instead of adding it to `output()`. */
  readonly onStdout?: (chunk: Buffer) => void;
}

/** Starts `command`; every started process must be stopped (afterEach). */
export function startProcess(
  command: string,
  args: readonly string[],
  options: StartOptions = {},
): TestProcess {
  const child = spawn(command, [...args], {
    stdio: [options.stdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    if (options.onStdout === undefined) text += chunk.toString();
    else options.onStdout(chunk);
  });
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
    });
    child.on('error', (error) => {
      resolve(error.message);
    });
  });
  return {
    child,
    output: () => text,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Collects JSON log lines in memory. */
export function memoryLog(): LogOutput & { lines(): Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    isTTY: false,
    write(line: string) {
      lines.push(line);
      return true;
    },
    lines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** The value of the first sample of `metric` whose labels include every `labels` pair. */
export function metricValue(
  text: string,
  metric: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    if (!Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
      continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
