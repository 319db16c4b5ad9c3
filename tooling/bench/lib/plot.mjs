// Dependency-free SVG charts for the benchmark reports: grouped bar charts (one group per
// scenario or configuration, one bar per system: bond beside its baseline) and time series (several
// lines on one time axis, with vertical markers and shaded spans for events such as a link failing
// and coming back). Each function takes plain data and returns a complete, standalone SVG document
// as a string; nothing here reads files or knows any benchmark.
//
//   import { barChart, timeSeries } from './plot.mjs';
//   writeFileSync('cpu.svg', barChart({
//     title: 'Sender CPU per packet', yLabel: 'us per packet',
//     categories: ['10 Mbit/s', '20 Mbit/s'],
//     series: [{ name: 'bond-sender', values: [9.1, 8.7] }, { name: 'C relay', values: [2.0, 1.9] }],
//   }));
//   writeFileSync('share.svg', timeSeries({
//     title: 'Link share', xLabel: 'time (s)', yLabel: 'share (%)',
//     series: [{ name: 'link 1', points: [[0, 33], [1, 50]] }],
//     markers: [{ at: 10, label: 'failure', until: 20 }, { at: 20, label: 'restore' }],
//   }));

/** Default series colours (colour-blind-safe order); a series may set its own `color`. */
export const PALETTE = [
  '#0072b2',
  '#e69f00',
  '#009e73',
  '#cc79a7',
  '#56b4e9',
  '#d55e00',
  '#f0e442',
  '#000000',
];
/** The colour for baselines, so "ours" and "the reference" read apart at a glance. */
export const BASELINE_COLOR = '#999999';

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
/** A white outline behind a label, so it stays readable over bars, grid and lines. */
const HALO = 'paint-order="stroke" stroke="#ffffff" stroke-width="3" stroke-linejoin="round"';
const MARGIN = { top: 70, right: 24, bottom: 58, left: 72 };

/** Text made safe for SVG element content and attribute values. */
export function escapeXml(text) {
  return String(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Formats a number compactly: 3 significant digits, thousands separated, no exponent. */
export function formatNumber(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  const magnitude = Math.abs(value);
  const digits = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/**
 * Round tick values covering [min, max] with about `count` steps of 1, 2 or 5 x 10^n.
 * Returns at least two ticks; min === max is widened so the axis has a span.
 */
export function niceTicks(min, max, count = 5) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.5;
    min -= min === 0 ? 0 : pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw) ?? 10 * power;
  const first = Math.floor(min / step + 1e-9) * step;
  const ticks = [];
  for (let i = 0; i <= 1000; i++) {
    const tick = first + i * step;
    ticks.push(Number(tick.toPrecision(12)));
    if (tick >= max - 1e-9 * step) break;
  }
  return ticks.length >= 2 ? ticks : [first, first + step];
}

const colorOf = (series, index, palette = PALETTE) =>
  series.color ?? palette[index % palette.length];

function frame({ width, height, title, subtitle }) {
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="15" font-weight="600" fill="#222">${escapeXml(title)}</text>`,
  ];
  if (subtitle !== undefined) {
    parts.push(
      `<text x="${MARGIN.left}" y="40" font-size="11" fill="#555">${escapeXml(subtitle)}</text>`,
    );
  }
  return parts;
}

/** The y axis: grid lines, tick labels and the rotated axis label. */
function yAxis(parts, { ticks, scale, plot, label, format }) {
  for (const tick of ticks) {
    const y = scale(tick).toFixed(1);
    parts.push(
      `<line x1="${plot.left}" x2="${plot.right}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`,
      `<text x="${plot.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#444">${escapeXml(format(tick))}</text>`,
    );
  }
  const middle = ((plot.top + plot.bottom) / 2).toFixed(1);
  parts.push(
    `<line x1="${plot.left}" x2="${plot.left}" y1="${plot.top}" y2="${plot.bottom}" stroke="#444"/>`,
    `<text transform="translate(16 ${middle}) rotate(-90)" text-anchor="middle" fill="#222">${escapeXml(label)}</text>`,
  );
}

/** A one-row legend at the top right. */
function legend(parts, entries, right, y) {
  let x = right;
  const items = entries.map((entry) => ({ ...entry, width: 18 + entry.name.length * 6.6 + 14 }));
  for (const item of [...items].reverse()) {
    x -= item.width;
    const swatch =
      item.kind === 'line'
        ? `<line x1="${x}" x2="${x + 14}" y1="${y}" y2="${y}" stroke="${item.color}" stroke-width="2.5"${item.dash === undefined ? '' : ` stroke-dasharray="${escapeXml(item.dash)}"`}/>`
        : `<rect x="${x}" y="${y - 6}" width="12" height="12" fill="${item.color}"/>`;
    parts.push(
      swatch,
      `<text x="${x + 18}" y="${y}" dominant-baseline="middle" fill="#222">${escapeXml(item.name)}</text>`,
    );
  }
}

function checkSeries(kind, series) {
  if (!Array.isArray(series) || series.length === 0) {
    throw new Error(`${kind}: give at least one series ({ name, ... })`);
  }
}

/**
 * A grouped bar chart: for each category (a scenario, a rate, a configuration) one bar per series
 * (the system measured, its baseline), each labelled with its value.
 *
 * @param {object} spec
 * @param {string} spec.title
 * @param {string} [spec.subtitle] a line under the title (units, machine, how measured)
 * @param {string} spec.yLabel the value axis, with its unit
 * @param {string} [spec.xLabel] what the categories are
 * @param {string[]} spec.categories one group of bars each, left to right
 * @param {{ name: string, values: (number | null)[], color?: string }[]} spec.series
 *   one bar per category each; `null` or a non-finite value draws no bar and says "n/a"
 * @param {{ value: number, label: string }[]} [spec.references] dashed horizontal lines (targets)
 * @param {(value: number) => string} [spec.format] value and tick labels (default: formatNumber)
 * @param {number} [spec.width] pixels (default 720)
 * @param {number} [spec.height] pixels (default 400)
 * @returns {string} an SVG document
 */
export function barChart(spec) {
  const { title, subtitle, yLabel, xLabel, categories, series, references = [] } = spec;
  const format = spec.format ?? formatNumber;
  const width = spec.width ?? 720;
  const height = spec.height ?? 400;
  checkSeries('barChart', series);
  if (!Array.isArray(categories) || categories.length === 0) {
    throw new Error('barChart: give at least one category');
  }
  for (const s of series) {
    if (!Array.isArray(s.values) || s.values.length !== categories.length) {
      throw new Error(
        `barChart: series "${s.name}" has ${s.values?.length ?? 0} values for ${categories.length} categories; give one per category (null for none)`,
      );
    }
  }
  const values = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  const high = Math.max(0, ...values, ...references.map((r) => r.value)) * 1.12;
  const low = Math.min(0, ...values);
  const ticks = niceTicks(low, high > low ? high : low + 1);
  const plot = {
    left: MARGIN.left,
    right: width - MARGIN.right,
    top: MARGIN.top,
    bottom: height - MARGIN.bottom,
  };
  const top = ticks.at(-1);
  const bottom = ticks[0];
  const scale = (v) => plot.bottom - ((v - bottom) / (top - bottom)) * (plot.bottom - plot.top);
  const parts = frame({ width, height, title, subtitle });
  yAxis(parts, { ticks, scale, plot, label: yLabel, format });
  const groupWidth = (plot.right - plot.left) / categories.length;
  const inner = groupWidth * 0.8;
  const barWidth = inner / series.length;
  const valueSize = barWidth < 34 ? 9 : 10;
  categories.forEach((category, c) => {
    const groupLeft = plot.left + c * groupWidth + (groupWidth - inner) / 2;
    series.forEach((s, i) => {
      const value = s.values[c];
      const x = groupLeft + i * barWidth;
      const center = (x + barWidth / 2).toFixed(1);
      if (!Number.isFinite(value)) {
        parts.push(
          `<text x="${center}" y="${plot.bottom - 4}" text-anchor="middle" font-size="${valueSize}" fill="#888">n/a</text>`,
        );
        return;
      }
      const y0 = scale(Math.max(0, bottom));
      const y1 = scale(value);
      const y = Math.min(y0, y1);
      parts.push(
        `<rect x="${(x + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, barWidth - 2).toFixed(1)}" height="${Math.abs(y0 - y1).toFixed(1)}" fill="${colorOf(s, i)}"><title>${escapeXml(`${s.name}, ${category}: ${format(value)}`)}</title></rect>`,
        `<text x="${center}" y="${(y - 4).toFixed(1)}" text-anchor="middle" font-size="${valueSize}" fill="#222" ${HALO}>${escapeXml(format(value))}</text>`,
      );
    });
    parts.push(
      `<text x="${(plot.left + (c + 0.5) * groupWidth).toFixed(1)}" y="${plot.bottom + 18}" text-anchor="middle" fill="#222">${escapeXml(category)}</text>`,
    );
  });
  for (const reference of references) {
    const y = scale(reference.value).toFixed(1);
    parts.push(
      `<line x1="${plot.left}" x2="${plot.right}" y1="${y}" y2="${y}" stroke="#c00" stroke-dasharray="6 4"/>`,
      `<text x="${plot.right - 4}" y="${(Number(y) - 5).toFixed(1)}" text-anchor="end" font-size="11" fill="#c00" ${HALO}>${escapeXml(reference.label)}</text>`,
    );
  }
  parts.push(
    `<line x1="${plot.left}" x2="${plot.right}" y1="${scale(Math.max(0, bottom)).toFixed(1)}" y2="${scale(Math.max(0, bottom)).toFixed(1)}" stroke="#444"/>`,
  );
  if (xLabel !== undefined) {
    parts.push(
      `<text x="${((plot.left + plot.right) / 2).toFixed(1)}" y="${height - 14}" text-anchor="middle" fill="#222">${escapeXml(xLabel)}</text>`,
    );
  }
  legend(
    parts,
    series.map((s, i) => ({ name: s.name, color: colorOf(s, i), kind: 'bar' })),
    plot.right,
    MARGIN.top - 14,
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/**
 * A time series: several lines over one x axis (usually seconds), with vertical markers for events
 * and optional shaded spans (a marker with `until`), e.g. `{ at: 10, label: 'failure', until: 20 }`
 * and `{ at: 20, label: 'restore' }`. Works for any numeric x (also "groups" or "rate").
 *
 * @param {object} spec
 * @param {string} spec.title
 * @param {string} [spec.subtitle]
 * @param {string} spec.xLabel
 * @param {string} spec.yLabel
 * @param {{ name: string, points: [number, number | null][], color?: string, dash?: string }[]} spec.series
 *   each a line through its [x, y] points in x order; a `null` y breaks the line (no data there);
 *   `dash` is an SVG stroke-dasharray (e.g. "6 3") to tell a baseline apart
 * @param {{ at: number, label: string, until?: number, color?: string }[]} [spec.markers]
 * @param {[number, number]} [spec.yRange] fixed y axis (default: from the data, including 0)
 * @param {[number, number]} [spec.xRange] fixed x axis (default: from the data and markers)
 * @param {(value: number) => string} [spec.format] y tick labels (default: formatNumber)
 * @param {(value: number) => string} [spec.xFormat] x tick labels (default: formatNumber)
 * @param {boolean} [spec.dots] draw a dot on every point (default: when a line has <= 30 points)
 * @param {number} [spec.width] pixels (default 720)
 * @param {number} [spec.height] pixels (default 400)
 * @returns {string} an SVG document
 */
export function timeSeries(spec) {
  const { title, subtitle, xLabel, yLabel, series, markers = [] } = spec;
  const format = spec.format ?? formatNumber;
  const xFormat = spec.xFormat ?? formatNumber;
  const width = spec.width ?? 720;
  const height = spec.height ?? 400;
  checkSeries('timeSeries', series);
  for (const s of series) {
    if (!Array.isArray(s.points)) {
      throw new Error(`timeSeries: series "${s.name}" needs points: [[x, y], ...]`);
    }
  }
  const points = series.flatMap((s) => s.points).filter(([x]) => Number.isFinite(x));
  const ys = points.map(([, y]) => y).filter((y) => Number.isFinite(y));
  const xs = [
    ...points.map(([x]) => x),
    ...markers.flatMap((m) => [m.at, m.until]).filter((x) => Number.isFinite(x)),
  ];
  const [xMin, xMax] = spec.xRange ?? (xs.length > 0 ? [Math.min(...xs), Math.max(...xs)] : [0, 1]);
  const [yLow, yHigh] = spec.yRange ?? [Math.min(0, ...ys), Math.max(0, ...ys) * 1.08];
  const yTicks = niceTicks(yLow, yHigh);
  // A fixed range is kept as given; otherwise the axis ends on round ticks.
  const yBottom = spec.yRange === undefined ? yTicks[0] : yLow;
  const yTop = spec.yRange === undefined ? yTicks.at(-1) : yHigh;
  const xTicks = niceTicks(xMin, xMax, 7).filter((t) => t >= xMin - 1e-9 && t <= xMax + 1e-9);
  const xLow = xMin;
  const xHigh = xMax > xLow ? xMax : xLow + 1;
  const plot = {
    left: MARGIN.left,
    right: width - MARGIN.right,
    top: MARGIN.top,
    bottom: height - MARGIN.bottom,
  };
  const scaleX = (x) => plot.left + ((x - xLow) / (xHigh - xLow)) * (plot.right - plot.left);
  const scaleY = (y) => plot.bottom - ((y - yBottom) / (yTop - yBottom)) * (plot.bottom - plot.top);
  const parts = frame({ width, height, title, subtitle });
  yAxis(parts, {
    ticks: yTicks.filter((t) => t >= yBottom - 1e-9 && t <= yTop + 1e-9),
    scale: scaleY,
    plot,
    label: yLabel,
    format,
  });
  markers.forEach((marker, index) => {
    if (!Number.isFinite(marker.at)) return;
    const color = marker.color ?? '#c00';
    const x = scaleX(marker.at);
    if (Number.isFinite(marker.until)) {
      const x2 = scaleX(marker.until);
      parts.push(
        `<rect x="${Math.min(x, x2).toFixed(1)}" y="${plot.top}" width="${Math.abs(x2 - x).toFixed(1)}" height="${plot.bottom - plot.top}" fill="${color}" fill-opacity="0.08"/>`,
      );
    }
    parts.push(
      `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${plot.top}" y2="${plot.bottom}" stroke="${color}" stroke-dasharray="5 4"/>`,
      // Labels step down in three rows, so markers close together stay readable.
      `<text x="${(x + 4).toFixed(1)}" y="${plot.top + 12 + (index % 3) * 13}" font-size="11" fill="${color}" ${HALO}>${escapeXml(marker.label)}</text>`,
    );
  });
  series.forEach((s, i) => {
    const color = colorOf(s, i);
    const dash = s.dash === undefined ? '' : ` stroke-dasharray="${escapeXml(s.dash)}"`;
    let path = '';
    let pen = 'M';
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        pen = 'M';
        continue;
      }
      path += `${pen}${scaleX(x).toFixed(1)} ${scaleY(y).toFixed(1)} `;
      pen = 'L';
    }
    if (path !== '') {
      parts.push(
        `<path d="${path.trim()}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"${dash}><title>${escapeXml(s.name)}</title></path>`,
      );
    }
    const dots = spec.dots ?? s.points.length <= 30;
    if (dots) {
      for (const [x, y] of s.points) {
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        parts.push(
          `<circle cx="${scaleX(x).toFixed(1)}" cy="${scaleY(y).toFixed(1)}" r="3" fill="${color}"><title>${escapeXml(`${s.name}: ${xFormat(x)}, ${format(y)}`)}</title></circle>`,
        );
      }
    }
  });
  for (const tick of xTicks) {
    const x = scaleX(tick).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${plot.bottom}" y2="${plot.bottom + 5}" stroke="#444"/>`,
      `<text x="${x}" y="${plot.bottom + 18}" text-anchor="middle" fill="#444">${escapeXml(xFormat(tick))}</text>`,
    );
  }
  parts.push(
    `<line x1="${plot.left}" x2="${plot.right}" y1="${plot.bottom}" y2="${plot.bottom}" stroke="#444"/>`,
    `<text x="${((plot.left + plot.right) / 2).toFixed(1)}" y="${height - 14}" text-anchor="middle" fill="#222">${escapeXml(xLabel)}</text>`,
  );
  legend(
    parts,
    series.map((s, i) => ({ name: s.name, color: colorOf(s, i), kind: 'line', dash: s.dash })),
    plot.right,
    MARGIN.top - 14,
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
