/**
 * The HTTP server (`--http ADDR:PORT`; off by default): Prometheus `/metrics`, the stats document
 * at `/api/v1/stats` (what `--stats-json` writes), server-sent `stats` events at `/api/v1/events`
 * (one per second) and the live page at `/`. Read-only: GET and HEAD only. The server itself is
 * `@bond/app-common`'s, shared with bond-receiver; this file gives it the sender's stats, metrics
 * and page.
 */
import { startStatsHttpServer, type HttpAddress, type StatsHttpServer } from '@bond/app-common';
import type { AppLogger } from '@bond/runtime';
import { dashboardPage } from './dashboard/dashboard-page.js';
import { createSenderMetrics } from './metrics.js';
import type { SenderStatsDocument } from './stats-document.js';

export type { StatsHttpServer };

/** Starts the server; rejects with `HttpListenError` (from `@bond/app-common`) if it cannot listen. */
export async function startHttpServer(
  listen: HttpAddress,
  token: string | undefined,
  stats: () => SenderStatsDocument,
  version: string,
  logger: AppLogger,
): Promise<StatsHttpServer> {
  return startStatsHttpServer({
    listen,
    token,
    stats,
    metrics: await createSenderMetrics(version),
    page: dashboardPage(),
    logger,
  });
}
