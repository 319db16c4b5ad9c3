#!/usr/bin/env node
/**
 * The `bond-sender` executable: parses the command line, then runs. SIGTERM and SIGINT close
 * cleanly (exit 0); a second one exits at once. SIGHUP reloads the uplink file (and the config
 * file's log settings). Usage errors and an unusable uplink file exit 2; other errors at start
 * print their message (with its `BOND_ERR_*` code) and exit 1.
 */
import { runCli } from '@bond/app-common';
import { UsageError, helpText, parseCommandLine, type Command } from './command-line.js';
import { doctorOutcome } from './doctor.js';
import { VERSION, run } from './run.js';
import { SettingError } from './settings.js';
import { UplinkFileError } from './uplink-file.js';

runCli<Command>({
  name: 'bond-sender',
  version: VERSION,
  parse: parseCommandLine,
  helpText,
  doctor: (command) => doctorOutcome(command.settings),
  start: (command, signal) =>
    run(command, { logOutput: process.stderr, statsOutput: process.stdout, signal }),
  isUsageError: (error) =>
    error instanceof UsageError ||
    error instanceof SettingError ||
    error instanceof UplinkFileError,
});
