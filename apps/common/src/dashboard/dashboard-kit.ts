/**
 * The live page's shared browser code. {@link dashboardKit} runs in the page (its source text is
 * inlined by `dashboardDocument`, with {@link chartAxis} as its argument), so both must be
 * self-contained: no imported values, nothing from Node. It hands the app's page code a
 * {@link DashboardKit}: DOM helpers, number formats, per-series history, an SVG line chart with a
 * y axis in units, tables that stack on a phone, and the subscription to `/api/v1/events` that
 * keeps `#status` and `#updated` current.
 */

/** What a chart's y axis shows: bits per second (as kbit/s or Mbit/s), milliseconds or percent. */
export type AxisKind = 'bitrate' | 'ms' | 'percent';

/** A chart's y axis: its top (in the samples' unit), unit and labelled ticks, bottom first. */
export interface ChartAxis {
  /** The axis top, in the samples' unit (bits per second for `bitrate`): at least the peak. */
  readonly top: number;
  /** The unit the labels are in: `Mbit/s`, `kbit/s`, `ms` or `%`. */
  readonly unit: string;
  /** From 0 up to {@link top}, evenly spaced: `value` in the samples' unit, `label` in {@link unit}. */
  readonly ticks: readonly { readonly value: number; readonly label: string }[];
}

/**
 * The y axis for samples peaking at `peak` (already raised to the chart's floor): 2 to 4 steps of
 * 1, 2, 2.5 or 5 times a power of ten, labelled with as many decimals as the step needs (a 0.25
 * step shows 0.25, 0.50, 0.75, never 0.3). Bits per second are labelled in Mbit/s from 1 Mbit/s
 * up, in kbit/s below. Pure, and self-contained: it runs in the page too.
 */
export function chartAxis(peak: number, kind: AxisKind): ChartAxis {
  const mega = kind === 'bitrate' && peak >= 1e6;
  const divisor = kind === 'bitrate' ? (mega ? 1e6 : 1e3) : 1;
  const unit = kind === 'bitrate' ? (mega ? 'Mbit/s' : 'kbit/s') : kind === 'ms' ? 'ms' : '%';
  const scaled = Number.isFinite(peak) && peak > 0 ? peak / divisor : 1;
  // At most 4 steps: the smallest nice step that reaches the peak in 4.
  const rough = scaled / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step =
    [1, 2, 2.5, 5, 10]
      .map((m) => m * power)
      .find((candidate) => candidate * 4 >= scaled * (1 - 1e-9)) ?? 10 * power;
  const count = Math.max(1, Math.ceil(scaled / step - 1e-9));
  // The fewest decimals that write the step exactly (0.25: 2, 2.5: 1, 50: 0).
  let decimals = 0;
  const inexact = (shifted: number) => Math.abs(Math.round(shifted) - shifted) > shifted * 1e-9;
  while (decimals < 15 && inexact(step * 10 ** decimals)) decimals++;
  const ticks = [];
  for (let i = 0; i <= count; i++) {
    const value = i * step;
    ticks.push({ value: value * divisor, label: i === 0 ? '0' : value.toFixed(decimals) });
  }
  return { top: count * step * divisor, unit, ticks };
}

/** A line of a chart: its samples, oldest first, and its colour. */
export interface ChartSeries {
  readonly samples: readonly number[];
  readonly color: string;
}

export interface LineChartOptions {
  readonly series: readonly ChartSeries[];
  /** The chart's title, above it (`bitrate per link`); the axis unit follows it. */
  readonly caption: string;
  /** The chart's accessible name. */
  readonly label: string;
  /** The lowest top of the y axis, in the samples' unit: flat low lines stay low. */
  readonly floor: number;
  /** What the samples are: the y axis's unit and labels ({@link chartAxis}). */
  readonly axis: AxisKind;
  /** Extra class names of the `svg` (it always has `chart`). */
  readonly className?: string;
}

/** The last {@link DashboardKit.historyLength} values of each named series. */
export interface SampleHistory {
  /** Appends `value` to series `key`; returns its samples, oldest first. */
  push(key: string, value: number): number[];
  /** Forgets every series not in `keys` (links that are gone). */
  keep(keys: ReadonlySet<string>): void;
}

export interface DashboardKit {
  /** `#summary`: the line under the header. */
  readonly summary: HTMLElement;
  /** `main#content`: where the app draws. */
  readonly content: HTMLElement;
  /** Samples kept per series: one per event, two minutes. */
  readonly historyLength: number;
  // Function properties, not methods: none uses `this`, so they may be destructured.
  readonly element: <K extends keyof HTMLElementTagNameMap>(
    tag: K,
    text?: string,
    className?: string,
  ) => HTMLElementTagNameMap[K];
  /** The colour of series `index` (charts, swatches). */
  readonly color: (index: number) => string;
  /** A table cell holding a ■ in series `index`'s colour. */
  readonly swatch: (index: number) => HTMLTableCellElement;
  /** A table row of header cells. */
  readonly headRow: (names: readonly string[]) => HTMLTableRowElement;
  /**
   * A table of `names` columns holding `rows` (of `td`s) that stacks on a narrow screen: each row
   * a block, each cell labelled by its column (`data-label`).
   */
  readonly table: (
    names: readonly string[],
    rows: readonly HTMLTableRowElement[],
  ) => HTMLTableElement;
  readonly createHistory: () => SampleHistory;
  readonly lineChart: (options: LineChartOptions) => SVGSVGElement;
  readonly format: {
    /** `12.34 Mbit/s`; `850 kbit/s` below 1 Mbit/s. */
    readonly bitrate: (bitsPerSecond: number) => string;
    /** `12.3 ms`; `–` when unknown. */
    readonly ms: (value: number | null | undefined) => string;
    /** `12.3%`. */
    readonly percent: (value: number) => string;
    /** `1,234,567`. */
    readonly count: (value: number) => string;
  };
  /**
   * Subscribes to `api/v1/events`: `render` gets each `stats` event's document (parsed JSON, as the
   * app's server wrote it); `#status` says whether the stream is live and `#updated` counts the
   * events.
   */
  readonly subscribe: (render: (stats: unknown) => void) => void;
}

/** The page's kit; `axisFor` is {@link chartAxis} (an argument, so the page gets its source too). */
export function dashboardKit(axisFor: typeof chartAxis): DashboardKit {
  // 120 samples at one event per second: two minutes of history per series.
  const HISTORY = 120;
  const COLORS = [
    '#2f80ed',
    '#eb5757',
    '#27ae60',
    '#f2994a',
    '#9b51e0',
    '#00a3a3',
    '#b8860b',
    '#555',
  ];
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const byId = (id: string): HTMLElement => {
    const found = document.getElementById(id);
    if (found === null) throw new Error(`dashboard: #${id} missing`);
    return found;
  };
  const element = <K extends keyof HTMLElementTagNameMap>(
    tag: K,
    text?: string,
    className?: string,
  ): HTMLElementTagNameMap[K] => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className !== undefined) node.className = className;
    return node;
  };
  const color = (index: number): string => COLORS[index % COLORS.length] ?? '#555';
  const svgElement = (tag: string, attributes: Record<string, string>): SVGElement => {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    return node;
  };

  function lineChart(options: LineChartOptions): SVGSVGElement {
    // Drawn at about the size it is shown (the page width less the frame's padding, up to 640),
    // so its 11-px text stays 11 px on a phone instead of shrinking with the drawing.
    const width = Math.round(Math.min(640, Math.max(260, window.innerWidth - 64)));
    const height = 200;
    const left = 48;
    const right = 8;
    const top = 36;
    const bottom = 22;
    const plotWidth = width - left - right;
    const plotHeight = height - top - bottom;
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.setAttribute('class', `chart ${options.className ?? ''}`.trim());
    svg.setAttribute('role', 'img');
    let peak = options.floor;
    for (const { samples } of options.series) {
      for (const value of samples) if (Number.isFinite(value)) peak = Math.max(peak, value);
    }
    const axis = axisFor(peak, options.axis);
    svg.setAttribute('aria-label', `${options.label}, in ${axis.unit}`);
    svg.dataset.unit = axis.unit;
    const yOf = (value: number) => top + plotHeight * (1 - Math.min(value, axis.top) / axis.top);
    const title = svgElement('text', { x: '0', y: '12', class: 'title' });
    title.textContent = `${options.caption} (${axis.unit})`;
    svg.appendChild(title);
    for (const tick of axis.ticks) {
      const y = yOf(tick.value);
      svg.appendChild(
        svgElement('line', {
          x1: String(left),
          x2: String(width - right),
          y1: y.toFixed(1),
          y2: y.toFixed(1),
          class: 'grid',
        }),
      );
      const label = svgElement('text', {
        x: String(left - 5),
        y: (y + 4).toFixed(1),
        'text-anchor': 'end',
        class: 'tick',
      });
      label.textContent = tick.label;
      svg.appendChild(label);
    }
    const unit = svgElement('text', {
      x: String(left - 5),
      y: String(top - 10),
      'text-anchor': 'end',
      class: 'unit',
    });
    unit.textContent = axis.unit;
    svg.appendChild(unit);
    for (const { samples, color: stroke } of options.series) {
      const points = samples.map((value, i) => {
        const x = left + (plotWidth * (HISTORY - samples.length + i)) / (HISTORY - 1);
        return `${x.toFixed(1)},${yOf(Number.isFinite(value) ? value : 0).toFixed(1)}`;
      });
      svg.appendChild(
        svgElement('polyline', {
          points: points.join(' '),
          fill: 'none',
          stroke,
          'stroke-width': '2',
        }),
      );
    }
    const from = svgElement('text', { x: String(left), y: String(height - 6), class: 'time' });
    from.textContent = '2 min ago';
    svg.appendChild(from);
    const now = svgElement('text', {
      x: String(width - right),
      y: String(height - 6),
      'text-anchor': 'end',
      class: 'time',
    });
    now.textContent = 'now';
    svg.appendChild(now);
    return svg;
  }

  function createHistory(): SampleHistory {
    const series = new Map<string, number[]>();
    return {
      push(key, value) {
        let samples = series.get(key);
        if (samples === undefined) {
          samples = [];
          series.set(key, samples);
        }
        samples.push(value);
        if (samples.length > HISTORY) samples.shift();
        return samples;
      },
      keep(keys) {
        for (const key of series.keys()) if (!keys.has(key)) series.delete(key);
      },
    };
  }

  const headRow = (names: readonly string[]): HTMLTableRowElement => {
    const row = element('tr');
    for (const name of names) row.appendChild(element('th', name));
    return row;
  };

  // Opened as /?token=...: the server set its cookie; keep the token out of the address bar.
  const address = new URL(window.location.href);
  if (address.searchParams.has('token')) {
    address.searchParams.delete('token');
    window.history.replaceState(null, '', address.pathname + address.search + address.hash);
  }

  const status = byId('status');
  const updated = byId('updated');
  let updates = 0;

  return {
    summary: byId('summary'),
    content: byId('content'),
    historyLength: HISTORY,
    element,
    color,
    swatch: (index) => {
      const cell = element('td', '■', 'swatch');
      cell.style.color = color(index);
      return cell;
    },
    headRow,
    table: (names, rows) => {
      const table = element('table', undefined, 'stack');
      table.appendChild(headRow(names));
      for (const row of rows) {
        [...row.cells].forEach((cell, index) => {
          cell.dataset.label = names[index] ?? '';
          // Stacked, a row shows its series colour as its left border instead of the swatch.
          if (cell.classList.contains('swatch'))
            row.style.setProperty('--swatch', cell.style.color);
        });
        table.appendChild(row);
      }
      return table;
    },
    createHistory,
    lineChart,
    format: {
      bitrate: (bits) =>
        bits > 0 && bits < 1e6
          ? `${Math.round(bits / 1e3)} kbit/s`
          : `${(bits / 1e6).toFixed(2)} Mbit/s`,
      ms: (value) => (value === null || value === undefined ? '–' : `${value.toFixed(1)} ms`),
      percent: (value) => `${value.toFixed(1)}%`,
      count: (value) => value.toLocaleString('en-US'),
    },
    subscribe: (render) => {
      const events = new EventSource('api/v1/events');
      events.addEventListener('open', () => {
        status.textContent = 'live';
        status.className = 'live';
      });
      events.addEventListener('error', () => {
        status.textContent = 'reconnecting…';
        status.className = 'down';
      });
      events.addEventListener('stats', (event) => {
        updates++;
        updated.textContent = String(updates);
        render(JSON.parse((event as MessageEvent<string>).data));
      });
    },
  };
}
