/**
 * The `bond-receiver` program, loaded by `bin.ts` once V8's settings are in place: parses the
 * command line, then runs. SIGTERM and SIGINT close cleanly (exit 0); a second one exits at once.
 * SIGHUP reloads the config file. Errors at start print their message (with its `BOND_ERR_*` code)
 * and exit 1; usage errors exit 2.
 */
import { runCli } from '@bond/app-common';
import { UsageError, helpText, parseCommandLine, type Command } from './command-line.js';
import { doctorOutcome } from './doctor.js';
import { VERSION } from './run.js';
import { start } from './workers.js';

runCli<Command>({
  name: 'bond-receiver',
  version: VERSION,
  parse: parseCommandLine,
  helpText,
  doctor: (command) => doctorOutcome(command.settings),
  start: (command) => start(command, { logOutput: process.stderr }),
  isUsageError: (error) => error instanceof UsageError,
});
