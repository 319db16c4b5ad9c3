// The benchmarks' SVG plot module draws what it is given: one bar per finite value with its
// label, one line per series with markers and spans, round axis ticks, escaped text; and every
// benchmark's JSON maps to its figures, while an unknown report is refused with a useful error.
import { describe, expect, it } from 'vitest';
import { figuresFor } from '../bench/lib/figures.mjs';
import { barChart, niceTicks, timeSeries } from '../bench/lib/plot.mjs';

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

/** Every opened element is closed, in order (a cheap well-formedness check without a parser). */
function balanced(svg: string): boolean {
  const stack: string[] = [];
  for (const [tag, closing, name] of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?>/g)) {
    if (tag.endsWith('/>')) continue;
    if (closing === '') stack.push(name ?? '');
    else if (stack.pop() !== name) return false;
  }
  return stack.length === 0;
}

describe('barChart', () => {
  const svg = barChart({
    title: 'CPU <per> packet & more',
    yLabel: 'us per packet',
    xLabel: 'rate',
    categories: ['10 Mbit/s', '20 Mbit/s', '50 Mbit/s'],
    series: [
      { name: 'bond-sender', color: '#0072b2', values: [9.5, 8.25, null] },
      { name: 'C relay', color: '#999999', values: [2, 1.5, 1.25] },
    ],
    references: [{ value: 3, label: 'target 3' }],
  });

  it('is a standalone, well-formed SVG document with escaped text', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(balanced(svg)).toBe(true);
    expect(svg).toContain('CPU &lt;per&gt; packet &amp; more');
    expect(svg).not.toContain('<per>');
  });

  it('draws one bar per finite value, each labelled, and n/a for a missing one', () => {
    // Bars carry a tooltip; the legend's swatches do not.
    expect(count(svg, /<rect [^>]*fill="#0072b2"><title>/g)).toBe(2);
    expect(count(svg, /<rect [^>]*fill="#999999"><title>/g)).toBe(3);
    for (const label of ['9.5', '8.25', '1.25', 'n/a', 'target 3', '20 Mbit/s', 'C relay']) {
      expect(svg).toContain(`>${label}<`);
    }
  });

  it('draws taller bars for larger values', () => {
    const heights = [...svg.matchAll(/<rect [^>]*height="([\d.]+)" fill="#999999"><title>/g)].map(
      (m) => Number(m[1]),
    );
    expect(heights).toHaveLength(3);
    expect(heights[0]).toBeGreaterThan(heights[1] ?? Infinity);
    expect(heights[1]).toBeGreaterThan(heights[2] ?? Infinity);
  });

  it('refuses a series without one value per category', () => {
    expect(() =>
      barChart({
        title: 't',
        yLabel: 'y',
        categories: ['a', 'b'],
        series: [{ name: 'short', values: [1] }],
      }),
    ).toThrow(/"short" has 1 values for 2 categories/);
  });
});

describe('timeSeries', () => {
  const svg = timeSeries({
    title: 'Link share',
    xLabel: 'time (s)',
    yLabel: 'share (%)',
    series: [
      {
        name: 'link 1',
        points: [
          [0, 50],
          [1, 60],
          [2, null],
          [3, 40],
        ],
      },
      {
        name: 'link 2',
        dash: '6 3',
        points: [
          [0, 50],
          [1, 40],
          [3, 60],
        ],
      },
    ],
    markers: [
      { at: 1, label: 'failure', until: 2.5 },
      { at: 2.5, label: 'restore' },
    ],
  });

  it('draws one path per series, broken where a value is missing', () => {
    expect(balanced(svg)).toBe(true);
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(paths).toHaveLength(2);
    expect(count(paths[0] ?? '', /M/g)).toBe(2); // the null at x=2 starts a new segment
    expect(count(paths[1] ?? '', /[ML]/g)).toBe(3);
    expect(svg).toContain('stroke-dasharray="6 3"');
  });

  it('marks events with labelled vertical lines and shades a span', () => {
    expect(svg).toContain('>failure<');
    expect(svg).toContain('>restore<');
    expect(count(svg, /fill-opacity="0.08"/g)).toBe(1);
    expect(count(svg, /<line [^>]*stroke="#c00" stroke-dasharray="5 4"/g)).toBe(2);
  });
});

describe('niceTicks', () => {
  it.each([
    [0, 7.3],
    [0, 1],
    [12, 987],
    [-3, 4],
    [0.001, 0.0042],
    [5, 5],
  ])('covers [%d, %d] with round, evenly spaced ticks', (min, max) => {
    const ticks = niceTicks(min, max);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks[0]).toBeLessThanOrEqual(min);
    expect(ticks.at(-1)).toBeGreaterThanOrEqual(max);
    const step = (ticks[1] ?? 0) - (ticks[0] ?? 0);
    const mantissa = step / 10 ** Math.floor(Math.log10(step));
    expect([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6)).toBe(true);
  });
});

describe('figuresFor', () => {
  it('refuses a report it has no figures for, naming the known ones', () => {
    expect(() => {
      figuresFor({ benchmark: 'nope' });
    }).toThrow(/known are .*sender-forwarding/);
  });
});
