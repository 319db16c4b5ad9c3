/**
 * @bond/app-common/metrics
 *
 * Prometheus exposition from stats snapshots: every metric is made through one
 * {@link SnapshotMetrics}, and each scrape clears them all, then sets each from one snapshot, so the
 * values of one scrape agree with each other and with the JSON stats of that moment, and series of
 * links or groups that are gone disappear. bond's series are written as text here; `prom-client`
 * adds Node's process metrics (`collectDefaultMetrics`).
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
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { StatsMetrics } from './stats-http-server.js';

/** Label values by label name; a name left out is not written. */
export type MetricLabels<L extends string> = Partial<Record<L, string>>;

/**
 * Labels written out once ({@link SnapshotMetrics.labels}) for the many series that share them, such
 * as every per-link metric of one link: each series then reuses the text instead of building it.
 * A metric takes a label set only if the set was made with the label names the metric declares
 * (a name given with an undefined value counts: it is declared, just not written this time).
 */
export class LabelSet {
  /** @internal The names it was made with (written or not), sorted and joined: see {@link namesKey}. */
  readonly namesKey: string;

  /** @internal Use {@link SnapshotMetrics.labels}. */
  constructor(
    /** `{a="x",b="y"}`, values escaped; empty for no labels. */
    readonly text: string,
    /** The label names in `text`, in order. */
    readonly names: readonly string[],
    /** Every name it was made with, also those whose value was undefined (not in `text`). */
    readonly given: readonly string[] = names,
  ) {
    this.namesKey = namesKey(given);
  }

  /** These labels and `more` after them (a name already here is refused: Prometheus would too). */
  with(more: Record<string, string | undefined>): LabelSet {
    const added = labelSet(more);
    for (const name of added.given) {
      if (this.given.includes(name))
        throw new RangeError(`label ${name} is already in ${this.text}`);
    }
    const given = [...this.given, ...added.given];
    if (added.text === '') return new LabelSet(this.text, this.names, given);
    if (this.text === '') return new LabelSet(added.text, added.names, given);
    return new LabelSet(
      `${this.text.slice(0, -1)},${added.text.slice(1)}`,
      [...this.names, ...added.names],
      given,
    );
  }
}

/**
 * Label names as one key, whatever their order: `a,b` for `['b', 'a']`. Keys are interned, so the
 * per-sample check of a label set against its metric is mostly a comparison of one string with
 * itself.
 */
function namesKey(names: readonly string[]): string {
  const key = [...names].sort().join(',');
  let interned = internedKeys.get(key);
  if (interned === undefined) {
    // Bounded by the label name combinations the code makes (a few dozen), not by label values.
    interned = key;
    internedKeys.set(key, key);
  }
  return interned;
}
const internedKeys = new Map<string, string>();

/**
 * One metric's series for the scrape being rendered, written straight as exposition text: a
 * receiver holding 1,000 groups writes about 56,000 series per scrape, which took prom-client's
 * label hashing and validation about 200 ms with the event loop blocked (forwarding stalled);
 * this writer, with label sets shared by a link's series, about 60 ms. Series are kept by their
 * label text (names in the order given), so setting the same labels twice in one scrape keeps the
 * last value (a gauge) or their sum (a total).
 */
class SnapshotSeries<L extends string> {
  private readonly values = new Map<string, number>();
  /** The declared label names as a {@link LabelSet.namesKey}, for the check of label sets. */
  private readonly namesKey: string;

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly type: 'gauge' | 'counter',
    private readonly labelNames: readonly string[],
  ) {
    this.namesKey = namesKey(labelNames);
  }

  record(labels: MetricLabels<L> | LabelSet | undefined, value: number, add: boolean): void {
    let key: string;
    if (labels === undefined) key = '';
    else if (labels instanceof LabelSet) {
      if (labels.namesKey !== this.namesKey) this.refuse(labels);
      key = labels.text;
    } else key = labelText(labels);
    if (add) this.values.set(key, (this.values.get(key) ?? 0) + value);
    else this.values.set(key, value);
  }

  reset(): void {
    this.values.clear();
  }

  /** A label set made for another metric: say which names each has. */
  private refuse(labels: LabelSet): never {
    const list = (names: readonly string[]) =>
      names.length === 0 ? 'no labels' : `labels (${names.join(', ')})`;
    throw new RangeError(
      `metric ${this.name} declares ${list(this.labelNames)} but was given a label set with ` +
        `${list(labels.given)}${labels.text === '' ? '' : `: ${labels.text}`}; ` +
        `make the set with the metric's label names (metrics.labels, .with)`,
    );
  }

  render(): string {
    let text = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
    // A metric without labels always has its one series (0 until set), as Prometheus clients do.
    if (this.labelNames.length === 0 && this.values.size === 0) return `${text}${this.name} 0\n`;
    for (const [labels, value] of this.values) text += `${this.name}${labels} ${number(value)}\n`;
    return text;
  }
}

/** A gauge set from snapshots: `set(value)` or `set(labels, value)`. */
export class SnapshotGauge<L extends string> {
  constructor(private readonly series: SnapshotSeries<L>) {}
  set(labelsOrValue: MetricLabels<L> | LabelSet | number, value?: number): void {
    if (typeof labelsOrValue === 'number') this.series.record(undefined, labelsOrValue, false);
    else this.series.record(labelsOrValue, value ?? 0, false);
  }
}

/** A Prometheus counter set from snapshots' running totals; negative values count as 0. */
export class TotalSetter<L extends string> {
  constructor(private readonly series: SnapshotSeries<L>) {}
  set(labels: MetricLabels<L> | LabelSet, value: number): void {
    this.series.record(labels, Math.max(0, value), true);
  }
}

export interface SnapshotMetrics {
  /** The exposition's `content-type`. */
  readonly contentType: string;
  // Function properties, not methods: they use no `this` and may be destructured.
  /** A gauge named `prefix + name`. */
  readonly gauge: <L extends string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
  ) => SnapshotGauge<L>;
  /** A counter named `prefix + name` (end it in `_total`), set from running totals. */
  readonly total: <L extends string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
  ) => TotalSetter<L>;
  /** Labels written out once, for the many series that share them. */
  readonly labels: (labels: Record<string, string | undefined>) => LabelSet;
  /** Clears every metric made here, then runs `fill` and returns the exposition text. */
  render(fill: () => void): Promise<string>;
  /** What `startStatsHttpServer` serves: each `render(stats)` is `render(() => fill(stats))`. */
  statsMetrics<T>(fill: (stats: T) => void): StatsMetrics<T>;
}

export interface SnapshotMetricsOptions {
  /** Add Node's process metrics (`process_cpu_user_seconds_total`, ...). Default true. */
  readonly processMetrics?: boolean;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function createSnapshotMetrics(
  prefix: string,
  options: SnapshotMetricsOptions = {},
): SnapshotMetrics {
  // prom-client only for Node's process metrics; bond's own series are written here.
  const processRegistry = (options.processMetrics ?? true) ? new Registry() : undefined;
  if (processRegistry !== undefined) collectDefaultMetrics({ register: processRegistry });
  const made: SnapshotSeries<string>[] = [];
  const make = <L extends string>(
    name: string,
    help: string,
    type: 'gauge' | 'counter',
    labelNames: readonly L[],
  ): SnapshotSeries<L> => {
    const full = prefix + name;
    if (!METRIC_NAME.test(full)) throw new RangeError(`invalid metric name: ${full}`);
    if (made.some((each) => each.name === full)) {
      throw new RangeError(`metric ${full} is made twice`);
    }
    for (const label of labelNames) {
      if (!LABEL_NAME.test(label)) throw new RangeError(`invalid label name ${label} on ${full}`);
    }
    const series = new SnapshotSeries<L>(full, help, type, labelNames);
    made.push(series);
    return series;
  };
  const render = async (fill: () => void): Promise<string> => {
    for (const series of made) series.reset();
    fill();
    const parts: string[] = [];
    if (processRegistry !== undefined) parts.push(await processRegistry.metrics());
    for (const series of made) parts.push(series.render());
    return parts.join('\n');
  };
  const contentType = 'text/plain; version=0.0.4; charset=utf-8';
  return {
    contentType,
    gauge: <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new SnapshotGauge<L>(make(name, help, 'gauge', labelNames)),
    total: <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new TotalSetter<L>(make(name, help, 'counter', labelNames)),
    labels: labelSet,
    render,
    statsMetrics: <T>(fill: (stats: T) => void): StatsMetrics<T> => ({
      contentType,
      render: (stats) =>
        render(() => {
          fill(stats);
        }),
    }),
  };
}

/** The label set of `labels` (names with an undefined value left out of the text). */
function labelSet(labels: Record<string, string | undefined>): LabelSet {
  const names: string[] = [];
  const given: string[] = [];
  for (const name in labels) {
    given.push(name);
    if (labels[name] !== undefined) names.push(name);
  }
  return new LabelSet(labelText(labels), names, given);
}

/** `{a="x",b="y"}` in the labels' own order (empty for no labels), values escaped. */
function labelText(labels: Record<string, string | undefined>): string {
  let text = '';
  for (const name in labels) {
    const value = labels[name];
    if (value === undefined) continue;
    if (!LABEL_NAME.test(name)) throw new RangeError(`invalid label name ${name}`);
    text += `${text === '' ? '{' : ','}${name}="${escapeLabel(value)}"`;
  }
  return text === '' ? '' : `${text}}`;
}

const NEEDS_LABEL_ESCAPE = /[\\"\n]/;

function escapeLabel(value: string): string {
  if (!NEEDS_LABEL_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as the exposition format writes it. */
function number(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** `droppedNoLink` -> `dropped_no_link`: a stats field's name as a label value. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
