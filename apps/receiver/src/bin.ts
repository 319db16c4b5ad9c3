#!/usr/bin/env node
/**
 * The `bond-receiver` executable: parses the command line, then runs. SIGTERM and SIGINT close
 * cleanly (exit 0); a second one exits at once. SIGHUP reloads the config file. Errors at start
 * print their message (with its `BOND_ERR_*` code) and exit 1; usage errors exit 2.
 */
import { BondError } from '@bond/wire';
import { UsageError, helpText, parseCommandLine } from './command-line.js';
import { formatDoctor, runDoctor } from './doctor.js';
import { VERSION, run, type RunningReceiver } from './run.js';

async function main(argv: readonly string[]): Promise<number> {
  const command = parseCommandLine(argv);
  if (command.kind === 'help') {
    process.stdout.write(helpText());
    return 0;
  }
  if (command.kind === 'version') {
    process.stdout.write(`bond-receiver ${VERSION}\n`);
    return 0;
  }
  if (command.kind === 'doctor') {
    const lines = await runDoctor(command.settings);
    process.stdout.write(formatDoctor(lines));
    return lines.every((line) => line.ok) ? 0 : 1;
  }
  // Signal handlers go in before anything starts: a SIGHUP or SIGTERM during start-up must not
  // take the default action (terminate) once the receiver has said it is listening.
  const state: { running: RunningReceiver | undefined; stopping: boolean } = {
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
    if (running === undefined) return; // still starting: closed right after start-up
    running.logger.info('closing', { signal });
    void running.close().then(() => {
      finish(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => {
    // While starting, the config file was just read: nothing to reload yet.
    const running = state.running;
    running?.reload().catch((error: unknown) => {
      // reload() reports a bad file itself; this is a fault of the receiver, kept off the crash path.
      running.logger.error('config reload failed', { error });
    });
  });
  const running = await run(
    { settings: command.settings, configFile: command.configFile },
    { logOutput: process.stderr },
  );
  state.running = running;
  if (state.stopping) {
    running.logger.info('closing', { signal: 'received while starting' });
    await running.close();
    return 0;
  }
  return finished;
}

main(process.argv.slice(2)).then(
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
    process.stderr.write(`bond-receiver: ${message}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
