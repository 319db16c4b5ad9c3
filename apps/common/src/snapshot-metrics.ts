/**
 * @bond/app-common/metrics
 *
 * Prometheus exposition from stats snapshots, with `prom-client`: every metric is made through one
 * {@link SnapshotMetrics}, and each scrape clears them all, then sets each from one snapshot, so the
 * values of one scrape agree with each other and with the JSON stats of that moment, and series of
 * links or groups that are gone disappear. Also the process metrics of `collectDefaultMetrics`.
 *
 * A separate entry point (`@bond/app-common/metrics`) because it loads prom-client: an app imports
 * it only when it serves HTTP.
 *
 * ```ts
 * import { createSnapshotMetrics } from '@bond/app-common/metrics';
 *
 * const metrics = createSnapshotMetrics('bond_sender_');
 * const links = metrics.gauge('links', 'Links running.');
 * const text = await metrics.render(() => links.set(snapshot.links.length));
 * // or, for startStatsHttpServer's `metrics`:
 * const served = metrics.statsMetrics((stats: Stats) => links.set(stats.links.length));
 * ```
 *
 * @packageDocumentation
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { StatsMetrics } from './stats-http-server.js';

/**
 * A Prometheus counter set from snapshots' running totals. prom-client counters only go up, so a
 * value is set by `inc` after the scrape's reset; negative values count as 0.
 */
export class TotalSetter<L extends string> {
  constructor(private readonly counter: Counter<L>) {}
  set(labels: Partial<Record<L, string>>, value: number): void {
    this.counter.inc(labels, Math.max(0, value));
  }
  reset(): void {
    this.counter.reset();
  }
}

export interface SnapshotMetrics {
  /** The exposition's `content-type`. */
  readonly contentType: string;
  readonly registry: Registry;
  // Function properties, not methods: they use no `this` and may be destructured.
  /** A gauge named `prefix + name`. */
  readonly gauge: <L extends string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
  ) => Gauge<L>;
  /** A counter named `prefix + name` (end it in `_total`), set from running totals. */
  readonly total: <L extends string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
  ) => TotalSetter<L>;
  /** Clears every metric made here, then runs `fill` and returns the exposition text. */
  render(fill: () => void): Promise<string>;
  /** What `startStatsHttpServer` serves: each `render(stats)` is `render(() => fill(stats))`. */
  statsMetrics<T>(fill: (stats: T) => void): StatsMetrics<T>;
}

export interface SnapshotMetricsOptions {
  /** Add Node's process metrics (`process_cpu_user_seconds_total`, ...). Default true. */
  readonly processMetrics?: boolean;
}

export function createSnapshotMetrics(
  prefix: string,
  options: SnapshotMetricsOptions = {},
): SnapshotMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const made: { reset(): void }[] = [];
  const render = async (fill: () => void): Promise<string> => {
    for (const metric of made) metric.reset();
    fill();
    return registry.metrics();
  };
  return {
    contentType: registry.contentType,
    registry,
    gauge: <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => {
      const gauge = new Gauge<L>({ name: prefix + name, help, labelNames, registers });
      made.push(gauge);
      return gauge;
    },
    total: <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => {
      const total = new TotalSetter<L>(
        new Counter<L>({ name: prefix + name, help, labelNames, registers }),
      );
      made.push(total);
      return total;
    },
    render,
    statsMetrics: <T>(fill: (stats: T) => void): StatsMetrics<T> => ({
      contentType: registry.contentType,
      render: (stats) =>
        render(() => {
          fill(stats);
        }),
    }),
  };
}

/** `droppedNoLink` -> `dropped_no_link`: a stats field's name as a label value. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
