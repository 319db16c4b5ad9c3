/**
 * @bond/app-common
 *
 * What bond-sender and bond-receiver share, so neither carries a copy: the process side of the
 * executables (`runCli`: signals, exit codes); the settings framework each app fills with its own
 * table (`SettingsTable`: the command line, the config file, resolving, reload diffs) and the
 * `--doctor` report; and on their HTTP side (`--http ADDR:PORT`) the address parser, the read-only stats server (`/metrics`, `/api/v1/stats`,
 * `/api/v1/events`, the live page at `/`), and the live page's frame, styles and browser kit (DOM
 * helpers, history, SVG line chart, the event subscription). The Prometheus helpers, which load
 * prom-client, are the separate entry `@bond/app-common/metrics`.
 *
 * ```ts
 * import { dashboardDocument, parseHttpAddress, startStatsHttpServer } from '@bond/app-common';
 *
 * const server = await startStatsHttpServer({
 *   listen: parseHttpAddress('127.0.0.1:8080'),
 *   stats: () => app.stats(),
 *   metrics: { contentType: 'text/plain', render: async (stats) => `up ${stats.up}\n` },
 *   page: dashboardDocument({ title: 'my app', main: (kit) => kit.subscribe(render) }),
 *   logger,
 * });
 * console.log(`page at http://${server.address}/`);
 * await server.close();
 * ```
 *
 * Private to the monorepo: the apps load it at run time as a workspace dependency.
 *
 * @packageDocumentation
 */

export { runCli, type CliRunning, type CliSpec } from './cli-main.js';
export {
  UsageError,
  helpLine,
  parseSettingsCommandLine,
  settingHelpLines,
  type CommandLineSpec,
  type SettingsCommand,
} from './command-line.js';
export {
  ConfigFileError,
  loadConfigFile,
  parseConfigText,
  type ConfigFileSettings,
} from './config-file.js';
export {
  BASE_STYLE,
  dashboardDocument,
  type DashboardDocumentOptions,
} from './dashboard/dashboard-document.js';
export {
  chartAxis,
  dashboardKit,
  type AxisKind,
  type ChartAxis,
  type ChartSeries,
  type DashboardKit,
  type LineChartOptions,
  type SampleHistory,
} from './dashboard/dashboard-kit.js';
export {
  commonDoctorLines,
  createDoctor,
  errorDetail,
  formatDoctor,
  udpBindError,
  type Doctor,
  type DoctorLine,
  type DoctorSpec,
} from './doctor.js';
export {
  HTTP_ADDRESS_FORMS,
  HTTP_DEFAULT_HOST,
  HttpAddressError,
  isLoopbackHost,
  parseHttpAddress,
  type HttpAddress,
} from './http-address.js';
export {
  HTTP_ENVIRONMENT,
  HTTP_SETTINGS,
  HTTP_TOKEN_MIN_LENGTH,
  parseHttpToken,
  type HttpSettings,
} from './http-settings.js';
export {
  EVENT_INTERVAL_MS,
  HTTP_OPEN_WARNING,
  HttpListenError,
  startStatsHttpServer,
  type HealthReport,
  type StatsHttpServer,
  type StatsHttpServerOptions,
  type StatsMetrics,
  type StatsRouteAnswer,
  type StatsRoutes,
} from './stats-http-server.js';
export {
  RUNTIME_SETTINGS,
  type IoBackendChoice,
  type RuntimeSettings,
} from './runtime-settings.js';
export { parseOneOf, parsePort } from './setting-values.js';
export {
  SettingError,
  applySetting,
  diffSettings,
  isMultiple,
  resolveSettings,
  settingsFromEnvironment,
  type FieldSetting,
  type SettingDefinition,
  type SettingsDiff,
  type SettingsDraft,
  type SettingsResolution,
  type SettingsTable,
} from './settings-table.js';
