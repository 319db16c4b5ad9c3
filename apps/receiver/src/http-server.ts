/**
 * The HTTP server (`--http ADDR:PORT`; off by default): Prometheus `/metrics`, the JSON stats API
 * `/api/v1/stats`, server-sent stats events `/api/v1/events` (one `stats` event per second) and
 * the live dashboard at `/`. Read-only: GET and HEAD only. The server itself is
 * `@bond/app-common`'s, shared with bond-sender; this file gives it the receiver's stats view,
 * metrics and page.
 */
import { startStatsHttpServer, type StatsHttpServer } from '@bond/app-common';
import type { AppLogger } from '@bond/runtime';
import { dashboardPage } from './dashboard/dashboard-page.js';
import type { ReceiverMetrics } from './metrics.js';
import type { HttpAddress } from './settings.js';
import type { StatsView } from './stats-view.js';

export { EVENT_INTERVAL_MS, type StatsHttpServer } from '@bond/app-common';

export function startHttpServer(
  listen: HttpAddress,
  view: () => StatsView,
  metrics: ReceiverMetrics,
  logger: AppLogger,
): Promise<StatsHttpServer> {
  return startStatsHttpServer({ listen, stats: view, metrics, page: dashboardPage(), logger });
}
