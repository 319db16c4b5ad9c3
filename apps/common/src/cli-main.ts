/**
 * The process side both executables share (`bond-sender`, `bond-receiver`): run the parsed
 * command, put the signal handlers in before anything starts (SIGTERM/SIGINT close cleanly, a
 * second one exits at once; SIGHUP reloads), and turn an error at start into its message on stderr
 * (with its `BOND_ERR_*` code) and exit status 2 for usage errors, 1 for the rest.
 */
import type { RuntimeLogger } from '@bond/runtime';
import { BondError } from '@bond/wire';
import { UsageError } from './command-line.js';
import { ConfigFileError } from './config-file.js';
import { HttpAddressError } from './http-address.js';
import { SettingError } from './settings-table.js';

/**
 * Errors that mean "fix the command line, a setting or the config file", in every app: exit
 * status 2, whatever the app's own `isUsageError` adds.
 */
export function isSettingsUsageError(error: unknown): boolean {
  return (
    error instanceof UsageError ||
    error instanceof SettingError ||
    error instanceof ConfigFileError ||
    error instanceof HttpAddressError
  );
}

/** What a running app offers the process. */
export interface CliRunning {
  readonly logger: RuntimeLogger;
  /** SIGHUP: re-reads the app's files. It reports a bad file itself. */
  reload(): Promise<unknown>;
  close(): Promise<void>;
}

export interface CliSpec<Command extends { readonly kind: string }> {
  /** The executable's name, for `--version` and error messages. */
  readonly name: string;
  readonly version: string;
  parse(argv: readonly string[]): Command;
  helpText(): string;
  /** `--doctor`: the report to print, and whether every check passed. */
  doctor(
    command: Extract<Command, { readonly kind: 'doctor' }>,
  ): Promise<{ readonly text: string; readonly ok: boolean }>;
  /**
   * Starts the app for a `run` command. `signal` aborts when SIGTERM/SIGINT arrives before the
   * start finished (a start that waits, e.g. for a name to resolve, should then give up).
   */
  start(
    command: Extract<Command, { readonly kind: 'run' }>,
    signal: AbortSignal,
  ): Promise<CliRunning>;
  /** The app's own errors that mean "fix the command line or its files" (exit status 2), besides {@link isSettingsUsageError}'s. */
  isUsageError(error: unknown): boolean;
}

function isKind<Command extends { readonly kind: string }, Kind extends string>(
  command: Command,
  kind: Kind,
): command is Extract<Command, { readonly kind: Kind }> {
  return command.kind === kind;
}

async function main<Command extends { readonly kind: string }>(
  spec: CliSpec<Command>,
  argv: readonly string[],
): Promise<number> {
  const command = spec.parse(argv);
  if (command.kind === 'help') {
    process.stdout.write(spec.helpText());
    return 0;
  }
  if (command.kind === 'version') {
    process.stdout.write(`${spec.name} ${spec.version}\n`);
    return 0;
  }
  if (isKind(command, 'doctor')) {
    const report = await spec.doctor(command);
    process.stdout.write(report.text);
    return report.ok ? 0 : 1;
  }
  // parse() returns help, version, doctor or run: nothing else reaches here.
  if (!isKind(command, 'run')) throw new Error(`unknown command kind "${command.kind}"`);
  // Signal handlers go in before anything starts: a SIGHUP or SIGTERM during start-up must not
  // take the default action (terminate).
  const state: { running: CliRunning | undefined; stopping: boolean } = {
    running: undefined,
    stopping: false,
  };
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  const stop = (signal: NodeJS.Signals) => {
    if (state.stopping) {
      state.running?.logger.warn('second signal: exiting now', { signal });
      process.exit(1);
    }
    state.stopping = true;
    const running = state.running;
    if (running === undefined) {
      // Still starting: a start that waits gives up; one that finishes is closed right after.
      starting.abort();
      return;
    }
    running.logger.info('closing', { signal });
    void running.close().then(() => {
      finish(0);
    });
  };
  const starting = new AbortController();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => {
    // While starting, the files were just read: nothing to reload yet.
    const running = state.running;
    running?.reload().catch((error: unknown) => {
      // reload() reports a bad file itself; this is a fault of the app, kept off the crash path.
      running.logger.error('reload failed', { error });
    });
  });
  let running: CliRunning;
  try {
    running = await spec.start(command, starting.signal);
  } catch (error) {
    // Stopped by a signal while the start waited: a clean exit.
    if (state.stopping && starting.signal.aborted) return 0;
    throw error;
  }
  state.running = running;
  if (state.stopping) {
    running.logger.info('closing', { signal: 'received while starting' });
    await running.close();
    return 0;
  }
  return finished;
}

/** Runs the executable described by `spec` on `argv` and sets `process.exitCode`. */
export function runCli<Command extends { readonly kind: string }>(
  spec: CliSpec<Command>,
  argv: readonly string[] = process.argv.slice(2),
): void {
  main(spec, argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const message =
        error instanceof BondError
          ? `${error.code}: ${error.message}`
          : error instanceof Error
            ? (error.stack ?? error.message)
            : String(error);
      process.stderr.write(`${spec.name}: ${message}\n`);
      process.exitCode = isSettingsUsageError(error) || spec.isUsageError(error) ? 2 : 1;
    },
  );
}
