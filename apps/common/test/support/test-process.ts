// Child processes for tests of the built executables: output collected, always stopped.
import { spawn, type ChildProcess } from 'node:child_process';

export interface TestProcess {
  readonly child: ChildProcess;
  /** stdout (unless `onStdout` takes it) and stderr so far, interleaved as they came. */
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

/** Starts `command`; every started process must be stopped (defer its `stop`). */
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

/**
 * Runs a built executable (`dist/bin.js`) with this Node, `BOND_IO_BACKEND` cleared so its own
 * options choose, and hands its `stop` to `defer`.
 */
export function startBin(
  bin: string,
  args: readonly string[],
  defer: (stop: () => Promise<void>) => void,
): TestProcess {
  const child = startProcess(process.execPath, [bin, ...args], {
    env: { ...process.env, BOND_IO_BACKEND: '' },
  });
  defer(() => child.stop());
  return child;
}
