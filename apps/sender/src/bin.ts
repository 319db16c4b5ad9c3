#!/usr/bin/env node
/**
 * The `bond-sender` executable: parses the command line, then runs. SIGTERM and SIGINT close
 * cleanly (exit 0); a second one exits at once. SIGHUP reloads the uplink file (and the config
 * file's log settings). Usage errors and an unusable uplink file exit 2; other errors at start
 * print their message (with its `BOND_ERR_*` code) and exit 1.
 */
import { BondError } from '@bond/wire';
import { UsageError, helpText, parseCommandLine } from './command-line.js';
import { formatDoctor, runDoctor } from './doctor.js';
import { VERSION, run, type RunningSender } from './run.js';
import { SettingError } from './settings.js';
import { UplinkFileError } from './uplink-file.js';

async function main(argv: readonly string[]): Promise<number> {
  const command = parseCommandLine(argv);
  if (command.kind === 'help') {
    process.stdout.write(helpText());
    return 0;
  }
  if (command.kind === 'version') {
    process.stdout.write(`bond-sender ${VERSION}\n`);
    return 0;
  }
  if (command.kind === 'doctor') {
    const lines = await runDoctor(command.settings);
    process.stdout.write(formatDoctor(lines));
    return lines.every((line) => line.ok) ? 0 : 1;
  }
  // Signal handlers go in before anything starts: a SIGHUP or SIGTERM during start-up must not
  // take the default action (terminate).
  const state: { running: RunningSender | undefined; stopping: boolean } = {
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
    // While starting, the uplink file was just read: nothing to reload yet.
    void state.running?.reload();
  });
  const running = await run(
    { settings: command.settings, configFile: command.configFile },
    { logOutput: process.stderr, statsOutput: process.stdout },
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
    process.stderr.write(`bond-sender: ${message}\n`);
    process.exitCode =
      error instanceof UsageError ||
      error instanceof SettingError ||
      error instanceof UplinkFileError
        ? 2
        : 1;
  },
);
