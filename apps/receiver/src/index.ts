/**
 * @bond/receiver
 *
 * `bond-receiver`: runs on a server, accepts SRTLA senders (bond, BELABOX, Moblin, IRL Pro) and
 * forwards each group's stream to an SRT listener. srtla_rec-compatible arguments, Prometheus
 * `/metrics`, a JSON stats API and a live dashboard.
 *
 * ```ts
 * import { parseCommandLine, run } from '@bond/receiver';
 *
 * const command = parseCommandLine(['5000', '127.0.0.1', '4001', '--http', '127.0.0.1:8080']);
 * if (command.kind === 'run') {
 *   const running = await run(command, { logOutput: process.stderr });
 *   console.log(running.stats().groups.length);
 *   await running.close();
 * }
 * ```
 *
 * Holds no protocol logic; `src/cli.ts` parses (loaded by `src/bin.ts` once V8's flags are set),
 * `src/run.ts` runs.
 *
 * @packageDocumentation
 */

export { UsageError, helpText, parseCommandLine, type Command } from './command-line.js';
export { ConfigFileError } from '@bond/app-common';
export { formatDoctor, runDoctor, type DoctorLine } from './doctor.js';
export { createLogger, type AppLogger, type LogOutput } from '@bond/runtime';
export {
  VERSION,
  run,
  type ReloadOutcome,
  type RunDeps,
  type RunOptions,
  type RunningReceiver,
} from './run.js';
export {
  DEFAULT_SETTINGS,
  SettingError,
  loadConfigFile,
  parseConfigText,
  parseHttpAddress,
  parseReorder,
  resolveSettings,
  type ReceiverSettings,
} from './settings.js';
export {
  CLUSTER_KEY_HINT,
  MIN_CLUSTER_KEY_BYTES,
  formatBackplane,
  parseBackplane,
  parseClusterUrl,
  parseNodeId,
  resolveClusterConfig,
  type BackplaneAddress,
  type ClusterConfig,
  type ClusterConfigDeps,
} from './cluster-config.js';
export type { GroupView, LinkView, StatsView } from './stats-view.js';
