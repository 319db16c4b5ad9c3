/**
 * The live page's shared browser code. {@link dashboardKit} runs in the page (its source text is
 * inlined by `dashboardDocument`), so it must be self-contained: no imported values, nothing from
 * Node. It hands the app's page code a {@link DashboardKit}: DOM helpers, number formats, per-series
 * history, an SVG line chart, and the subscription to `/api/v1/events` that keeps `#status` and
 * `#updated` current.
 */

/** A line of a chart: its samples, oldest first, and its colour. */
export interface ChartSeries {
  readonly samples: readonly number[];
  readonly color: string;
}

export interface LineChartOptions {
  readonly series: readonly ChartSeries[];
  /** Text under the chart (`last 2 minutes: bitrate per link`). */
  readonly caption: string;
  /** The chart's accessible name. */
  readonly label: string;
  /** The lowest top of the y axis: flat low lines stay low. */
  readonly floor: number;
  /** The y axis label for `value`, given the axis top `peak`. */
  readonly tick: (value: number, peak: number) => string;
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
  readonly createHistory: () => SampleHistory;
  readonly lineChart: (options: LineChartOptions) => SVGSVGElement;
  readonly format: {
    /** `12.34 Mbit/s`. */
    readonly bitrate: (bitsPerSecond: number) => string;
    /** Axis label for bits per second: `1.5M`, `300k`. */
    readonly bitrateTick: (value: number, peak: number) => string;
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

export function dashboardKit(): DashboardKit {
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
    const width = 640;
    const height = 160;
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.setAttribute('class', `chart ${options.className ?? ''}`.trim());
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', options.label);
    let peak = options.floor;
    for (const { samples } of options.series) {
      for (const value of samples) peak = Math.max(peak, value);
    }
    for (let line = 0; line <= 4; line++) {
      const y = 10 + ((height - 30) * line) / 4;
      svg.appendChild(
        svgElement('line', {
          x1: '40',
          x2: String(width),
          y1: String(y),
          y2: String(y),
          class: 'grid',
        }),
      );
      const label = svgElement('text', { x: '0', y: String(y + 4) });
      label.textContent = options.tick((peak * (4 - line)) / 4, peak);
      svg.appendChild(label);
    }
    for (const { samples, color: stroke } of options.series) {
      const points = samples.map((value, i) => {
        const x = 40 + ((width - 40) * (HISTORY - samples.length + i)) / (HISTORY - 1);
        const y = 10 + (height - 30) * (1 - value / peak);
        return `${x.toFixed(1)},${y.toFixed(1)}`;
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
    const caption = svgElement('text', { x: '40', y: String(height - 4) });
    caption.textContent = options.caption;
    svg.appendChild(caption);
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
    headRow: (names) => {
      const row = element('tr');
      for (const name of names) row.appendChild(element('th', name));
      return row;
    },
    createHistory,
    lineChart,
    format: {
      bitrate: (bits) => `${(bits / 1e6).toFixed(2)} Mbit/s`,
      bitrateTick: (value, peak) =>
        peak >= 1e6 ? `${(value / 1e6).toFixed(1)}M` : `${Math.round(value / 1e3)}k`,
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
