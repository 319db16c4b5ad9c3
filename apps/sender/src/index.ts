/**
 * @bond/sender
 *
 * `bond-sender`: runs next to the encoder, takes its SRT stream on a local UDP port and spreads it
 * over every uplink to an SRTLA receiver. srtla_send-compatible positional arguments, an uplink
 * list file reloaded on SIGHUP and on change, a live status view, NDJSON stats, and with `--http`
 * Prometheus `/metrics`, a JSON stats API and a live page.
 *
 * ```ts
 * import { parseCommandLine, run } from '@bond/sender';
 *
 * const command = parseCommandLine(['6000', 'srtla.example', '5000', '/etc/bond/uplinks']);
 * if (command.kind === 'run') {
 *   const running = await run(command, { logOutput: process.stderr });
 *   console.log(running.links().map((link) => link.name));
 *   await running.close();
 * }
 * ```
 *
 * Holds no protocol logic; `src/bin.ts` parses, `src/run.ts` runs.
 *
 * @packageDocumentation
 */

export { UsageError, helpText, parseCommandLine, type Command } from './command-line.js';
export { ConfigFileError } from '@bond/app-common';
export { formatDoctor, runDoctor, type DoctorLine } from './doctor.js';
export { startHttpServer, type StatsHttpServer } from './http-server.js';
export {
  RECEIVER_PROBE_TIMEOUT_MS,
  probeReceiver,
  type ReceiverProbeOptions,
  type ReceiverProbeOutcome,
  type ReceiverProbeResult,
} from './receiver-probe.js';
export {
  AlarmWatch,
  RECEIVER_SILENT_HINT,
  alarmLine,
  currentAlarm,
  type SenderAlarm,
} from './alarms.js';
export {
  LOSS_WINDOW_MS,
  LossWindow,
  RttFloor,
  STATUS_COLUMNS,
  formatStatusLines,
  linkStatuses,
  type LinkStatus,
} from './link-status.js';
export { createLiveView, type LiveView, type TerminalOutput } from './live-view.js';
export { createSenderMetrics } from './metrics.js';
export { createLogger, type AppLogger, type LogOutput } from '@bond/runtime';
export {
  VERSION,
  run,
  type ActiveLink,
  type RunDeps,
  type RunOptions,
  type RunningSender,
  type UplinkReloadOutcome,
} from './run.js';
export {
  ResolveAbortedError,
  resolveWithRetry,
  type ReceiverResolver,
  type ResolveRetry,
} from './resolve-retry.js';
export {
  DEFAULT_SETTINGS,
  SettingError,
  loadConfigFile,
  parseConfigText,
  parsePriority,
  resolveSettings,
  type HttpAddress,
  type SenderSettings,
} from './settings.js';
export {
  senderStatsDocument,
  type SenderStatsDocument,
  type StatsHistory,
} from './stats-document.js';
export { StatsOutputError } from './stats-json.js';
export {
  UplinkFileError,
  formatUplinkProblem,
  loadUplinkFile,
  parseUplinkText,
  requireUplinks,
  type Uplink,
  type UplinkList,
  type UplinkProblem,
} from './uplink-file.js';
