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
 * // served.renderBody(stats): the same text as UTF-8 bytes, what /metrics sends.
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

  /** @internal Use {@link SnapshotMetrics.labels} or a {@link LabelSchema}. */
  constructor(
    /** `{a="x",b="y"}`, values escaped; empty for no labels. */
    readonly text: string,
    /** Every name it was made with, also those whose value was undefined (not in `text`). */
    readonly given: readonly string[],
    /** @internal `namesKey(given)`, when the maker has it already. */
    key?: string,
  ) {
    this.namesKey = key ?? namesKey(given);
  }

  /** These labels and `more` after them (a name already here is refused: Prometheus would too). */
  with(more: Record<string, string | undefined>): LabelSet {
    const added = labelSet(more);
    for (const name of added.given) {
      if (this.given.includes(name))
        throw new RangeError(`label ${name} is already in ${this.text}`);
    }
    const given = [...this.given, ...added.given];
    if (added.text === '') return new LabelSet(this.text, given);
    if (this.text === '') return new LabelSet(added.text, given);
    return new LabelSet(`${this.text.slice(0, -1)},${added.text.slice(1)}`, given);
  }
}

/**
 * Label names fixed once, for label sets made anew every scrape from values alone: no name is
 * checked or sorted per set (what {@link SnapshotMetrics.labels} does), so a scrape of thousands
 * of groups can make each group's and link's labels as it writes them instead of keeping them.
 */
export class LabelSchema {
  private readonly key: string;
  /** `{a="`, `",b="`, ...: the text before each value. */
  private readonly before: readonly string[];

  /** @internal Use {@link SnapshotMetrics.labelSchema}. */
  constructor(readonly names: readonly string[]) {
    for (const name of names) {
      if (!LABEL_NAME.test(name)) throw new RangeError(`invalid label name ${name}`);
    }
    if (new Set(names).size !== names.length) {
      throw new RangeError(`a label name is given twice: ${names.join(', ')}`);
    }
    this.key = namesKey(names);
    this.before = names.map((name, i) => `${i === 0 ? '{' : '",'}${name}="`);
  }

  /** The label set of these values, one per name in order (escaped here). */
  make(values: readonly string[]): LabelSet {
    if (values.length !== this.names.length) {
      throw new RangeError(
        `${String(values.length)} label values for ${String(this.names.length)} names (${this.names.join(', ')})`,
      );
    }
    let text = '';
    for (let i = 0; i < values.length; i++) {
      text += (this.before[i] ?? '') + escapeLabel(values[i] ?? '');
    }
    return new LabelSet(text === '' ? '' : `${text}"}`, this.names, this.key);
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
 * last value (a gauge) or their sum (a total); a `once` series ({@link SeriesOptions}) keeps
 * nothing and writes each sample as it is set instead.
 *
 * What a scrape allocates matters as much (issue 15: at 1,000 groups a scrape's garbage raised
 * the next minutes' RSS by tens of MiB): the slots of label texts are kept across scrapes (a
 * label text seen again finds its slot without a new map entry), and {@link SnapshotSeries.render} writes bytes
 * into one buffer instead of concatenating a string per line. Series this scrape did not set are
 * dropped ({@link SnapshotSeries.prune}), so links that come and go do not accumulate.
 */
class SnapshotSeries<L extends string> {
  /** Label text -> its series; kept across scrapes. */
  private slots = new Map<string, Slot>();
  /** Series set in this scrape, in the order first set (the order they are written). */
  private readonly order: Slot[] = [];
  private scrape = 0;
  /** `# HELP ...\n# TYPE ...\n`, written once. */
  private readonly header: string;
  /** The declared label names as a {@link LabelSet.namesKey}, for the check of label sets. */
  private readonly namesKey: string;

  /** `once`: this scrape's samples as text, written as they are set (see {@link SeriesOptions}). */
  private written: TextWriter | undefined;
  /** `once`: the size of the last scrape's samples, to size the next one's buffer. */
  private writtenSize = 0;

  constructor(
    readonly name: string,
    help: string,
    type: 'gauge' | 'counter',
    private readonly labelNames: readonly string[],
    private readonly once = false,
  ) {
    this.header = `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
    this.namesKey = namesKey(labelNames);
  }

  record(labels: MetricLabels<L> | LabelSet | undefined, value: number, add: boolean): void {
    const key = this.labelKey(labels);
    if (this.once) {
      // Straight into this scrape's text (see SeriesOptions.once).
      const out = (this.written ??= new TextWriter(this.writtenSize + (this.writtenSize >> 3)));
      writeSample(out, this.name, key, value);
      return;
    }
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = { labels: key, value: 0, scrape: -1 };
      this.slots.set(key, slot);
    }
    if (slot.scrape !== this.scrape) {
      slot.scrape = this.scrape;
      slot.value = value;
      this.order.push(slot);
    } else slot.value = add ? slot.value + value : value;
  }

  /** The label text of `labels`, a label set checked against the declared names. */
  private labelKey(labels: MetricLabels<L> | LabelSet | undefined): string {
    if (labels === undefined) return '';
    if (labels instanceof LabelSet) {
      if (labels.namesKey !== this.namesKey) this.refuse(labels);
      return labels.text;
    }
    return labelText(labels);
  }

  reset(): void {
    this.scrape += 1;
    this.order.length = 0;
    this.written = undefined;
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

  /** Forgets the series this scrape did not set, once they outnumber the ones it did. */
  prune(): void {
    if (this.slots.size <= 2 * this.order.length + 64) return;
    this.slots = new Map();
    for (const slot of this.order) this.slots.set(slot.labels, slot);
  }

  /** The series' text, appended to `out`. */
  render(out: TextWriter): void {
    out.write(this.header);
    if (this.once) {
      const written = this.written;
      this.written = undefined;
      this.writtenSize = written?.size ?? 0;
      if (written !== undefined) out.writeBytes(written.bytes());
      else if (this.labelNames.length === 0) out.write(`${this.name} 0\n`);
      return;
    }
    // A metric without labels always has its one series (0 until set), as Prometheus clients do.
    if (this.labelNames.length === 0 && this.order.length === 0) {
      out.write(this.name);
      out.write(' 0\n');
      return;
    }
    for (const slot of this.order) writeSample(out, this.name, slot.labels, slot.value);
  }
}

/** `name{labels} value` and a newline. */
function writeSample(out: TextWriter, name: string, labels: string, value: number): void {
  out.write(name);
  out.write(labels);
  out.write(' ');
  out.write(number(value));
  out.write('\n');
}

/** One series of a metric: its label text, and its value in the scrape that last set it. */
interface Slot {
  readonly labels: string;
  value: number;
  scrape: number;
}

/**
 * Text written as UTF-8 into one buffer that doubles when full, sized from the previous scrape:
 * one large allocation outside the V8 heap instead of a string per line.
 */
class TextWriter {
  private buffer: Buffer;
  private length = 0;

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(4096, capacity));
  }

  write(text: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    this.reserve(text.length * 3);
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  writeBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Room for `more` bytes after what is written. */
  private reserve(more: number): void {
    if (this.length + more <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, this.length + more));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  get size(): number {
    return this.length;
  }

  text(): string {
    return this.buffer.toString('utf8', 0, this.length);
  }

  /** The bytes written (a view of the buffer, not a copy). */
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
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
    options?: SeriesOptions,
  ) => SnapshotGauge<L>;
  /** A counter named `prefix + name` (end it in `_total`), set from running totals. */
  readonly total: <L extends string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
    options?: SeriesOptions,
  ) => TotalSetter<L>;
  /** Labels written out once, for the many series that share them. */
  readonly labels: (labels: Record<string, string | undefined>) => LabelSet;
  /** Label names fixed once, for label sets made from values each scrape. */
  readonly labelSchema: (names: readonly string[]) => LabelSchema;
  /** Clears every metric made here, then runs `fill` and returns the exposition text. */
  render(fill: () => void): Promise<string>;
  /** {@link render}'s text as UTF-8 bytes, never made a string (what `/metrics` sends). */
  renderBody(fill: () => void): Promise<Uint8Array>;
  /** What `startStatsHttpServer` serves: each `render(stats)` is `render(() => fill(stats))`. */
  statsMetrics<T>(fill: (stats: T) => void): StatsMetrics<T>;
}

/** How a metric keeps its series. */
export interface SeriesOptions {
  /**
   * Each label set is set at most once per scrape (the caller sees to it), so each sample is
   * written as text when set: no series is kept between scrapes, and a label set given twice
   * writes two samples (which Prometheus refuses) instead of keeping the last or the sum. For
   * the per-group and per-link series of thousands of groups (kept, with their label sets, they
   * grew old space by about 16 MB at the first scrape of 1,000 groups). Default false.
   */
  readonly once?: boolean;
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
    once: boolean,
  ): SnapshotSeries<L> => {
    const full = prefix + name;
    if (!METRIC_NAME.test(full)) throw new RangeError(`invalid metric name: ${full}`);
    if (made.some((each) => each.name === full)) {
      throw new RangeError(`metric ${full} is made twice`);
    }
    for (const label of labelNames) {
      if (!LABEL_NAME.test(label)) throw new RangeError(`invalid label name ${label} on ${full}`);
    }
    const series = new SnapshotSeries<L>(full, help, type, labelNames, once);
    made.push(series);
    return series;
  };
  // The previous scrape's size, to size the next one's buffer.
  let lastSize = 0;
  const write = async (fill: () => void): Promise<TextWriter> => {
    // The process metrics are awaited before the fill: from the reset to the last series written
    // nothing yields, so two scrapes that overlap cannot write into each other's values.
    const processText = processRegistry === undefined ? undefined : await processRegistry.metrics();
    for (const series of made) series.reset();
    fill();
    const out = new TextWriter(lastSize + (lastSize >> 3));
    // The process metrics first, then bond's, one blank line between each metric's text.
    let first = true;
    if (processText !== undefined) {
      out.write(processText);
      first = false;
    }
    for (const series of made) {
      if (!first) out.write('\n');
      first = false;
      series.render(out);
      series.prune();
    }
    lastSize = out.size;
    return out;
  };
  const render = async (fill: () => void): Promise<string> => (await write(fill)).text();
  const renderBody = async (fill: () => void): Promise<Uint8Array> => (await write(fill)).bytes();
  const contentType = 'text/plain; version=0.0.4; charset=utf-8';
  return {
    contentType,
    gauge: <L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[] = [],
      seriesOptions: SeriesOptions = {},
    ) => new SnapshotGauge<L>(make(name, help, 'gauge', labelNames, seriesOptions.once ?? false)),
    total: <L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[] = [],
      seriesOptions: SeriesOptions = {},
    ) => new TotalSetter<L>(make(name, help, 'counter', labelNames, seriesOptions.once ?? false)),
    labels: labelSet,
    labelSchema: (names) => new LabelSchema(names),
    render,
    renderBody,
    statsMetrics: <T>(fill: (stats: T) => void): StatsMetrics<T> => ({
      contentType,
      render: (stats) =>
        render(() => {
          fill(stats);
        }),
      renderBody: (stats) =>
        renderBody(() => {
          fill(stats);
        }),
    }),
  };
}

/** The label set of `labels` (names with an undefined value left out of the text). */
function labelSet(labels: Record<string, string | undefined>): LabelSet {
  return new LabelSet(labelText(labels), Object.keys(labels));
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
