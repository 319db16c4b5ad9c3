/**
 * The HTTP server (`--http ADDR:PORT`; off by default): Prometheus `/metrics`, the JSON stats API
 * `/api/v1/stats`, server-sent stats events `/api/v1/events` (one `stats` event per second), the
 * live dashboard at `/`, `/healthz`, and the stats scene switchers read at `/stats/<stream>` and
 * `/stats`. Read-only: GET and HEAD only. The server itself is
 * `@bond/app-common`'s, shared with bond-sender; this file gives it the receiver's stats view,
 * metrics, page and health.
 */
import {
  startStatsHttpServer,
  type HealthReport,
  type StatsHttpServer,
  type StatsRoutes,
} from '@bond/app-common';
import type { AppLogger } from '@bond/runtime';
import { dashboardPage } from './dashboard/dashboard-page.js';
import type { ListenerProbeState } from './listener-probe.js';
import type { ReceiverMetrics } from './metrics.js';
import { noalbsStatsRoutes } from './noalbs-stats.js';
import type { HttpAddress } from './settings.js';
import type { StatsView } from './stats-view.js';

export { EVENT_INTERVAL_MS, type StatsHttpServer } from '@bond/app-common';

/**
 * `/healthz` of a running receiver: healthy exactly when the SRT listener check says it answered
 * (the same state `/api/v1/stats` `srtListener.answered` and `/metrics`
 * `bond_receiver_srt_listener_answered` show).
 */
export function listenerHealth(probe: ListenerProbeState): HealthReport {
  const details = { srtListener: probe.target, detail: probe.detail };
  if (probe.answered === true) return { healthy: true, details };
  const reason =
    probe.answered === undefined
      ? `SRT listener ${probe.target} not checked yet`
      : `SRT listener ${probe.target} unreachable: ${probe.detail}`;
  return { healthy: false, reason, details };
}

export function startHttpServer(
  listen: HttpAddress,
  token: string | undefined,
  view: () => StatsView,
  metrics: ReceiverMetrics,
  health: () => HealthReport,
  logger: AppLogger,
  /** More routes, tried before the scene switchers' (`/api/v1/cluster` of `--workers`). */
  extraRoutes?: StatsRoutes,
): Promise<StatsHttpServer> {
  const noalbs = noalbsStatsRoutes(view);
  return startStatsHttpServer({
    listen,
    token,
    stats: view,
    metrics,
    page: dashboardPage(),
    health,
    // `/stats/<stream>` and `/stats` for scene switchers (noalbs-stats.ts).
    routes:
      extraRoutes === undefined
        ? noalbs
        : (path, query) => extraRoutes(path, query) ?? noalbs(path, query),
    logger,
  });
}
