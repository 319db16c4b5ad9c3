/**
 * Child processes the stand starts (bond-receiver, bond-sender, srt-live-transmit): output kept for
 * error messages, lines handed to a callback, and a `stop()` that always ends them (SIGTERM, then
 * SIGKILL after a grace period).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export interface StartedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last {@link OUTPUT_KEPT} characters of stdout (when not taken as bytes) and stderr. */
  output(): string;
  /** Resolves with the exit code, or the signal's name, once it exited. */
  readonly exited: Promise<number | string>;
  readonly running: boolean;
  /** Sends `signal` if it still runs. */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export interface ProcessOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Give it a stdin pipe (`child.stdin`). Default: none. */
  readonly stdin?: boolean;
  /** Takes stdout as bytes (not kept in `output()`). */
  readonly onStdout?: (chunk: Buffer) => void;
  /** Each complete line of stderr (and of stdout, unless `onStdout` takes it). */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** 64 KiB of output kept per process for error messages. */
export const OUTPUT_KEPT = 65_536;

/** Whether `command` runs here. */
export function hasCommand(command: string, args: readonly string[] = ['-version']): boolean {
  const probe = spawnSync(command, [...args], { stdio: 'ignore', timeout: 5000 });
  return probe.error === undefined;
}

export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  options: ProcessOptions = {},
): StartedProcess {
  const child = spawn(command, [...args], {
    stdio: [options.stdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  let text = '';
  let running = true;
  const keep = (chunk: string): void => {
    text += chunk;
    if (text.length > OUTPUT_KEPT) text = text.slice(text.length - OUTPUT_KEPT);
  };
  const lines = (stream: 'stdout' | 'stderr') => {
    let partial = '';
    return (chunk: Buffer): void => {
      const value = chunk.toString();
      keep(value);
      if (options.onLine === undefined) return;
      partial += value;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) options.onLine(line, stream);
    };
  };
  if (options.onStdout !== undefined) child.stdout?.on('data', options.onStdout);
  else child.stdout?.on('data', lines('stdout'));
  child.stderr?.on('data', lines('stderr'));
  child.stdin?.on('error', () => undefined); // EPIPE once it exits: its exit is reported instead
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      running = false;
      resolve(code ?? signal ?? 'unknown');
    });
    child.on('error', (error) => {
      running = false;
      resolve(error.message);
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    name,
    child,
    output: () => text,
    exited,
    get running() {
      return running;
    },
    signal(signal) {
      if (running) child.kill(signal);
    },
    stop(graceMs = 3000) {
      stopping ??= (async () => {
        if (!running) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
