// The dashboards' y axes: nice steps (1, 2, 2.5, 5 times a power of ten), labels with as many
// decimals as the step needs (0.25 is never "0.3"), the unit the labels are in, and a top that
// holds the peak.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chartAxis, type AxisKind } from '../src/index.js';

const labels = (peak: number, kind: AxisKind) => chartAxis(peak, kind).ticks.map((t) => t.label);

describe('chartAxis', () => {
  it('labels bitrates in Mbit/s with the decimals the step needs', () => {
    expect(chartAxis(1e6, 'bitrate')).toMatchObject({ unit: 'Mbit/s', top: 1e6 });
    expect(labels(1e6, 'bitrate')).toEqual(['0', '0.25', '0.50', '0.75', '1.00']);
    expect(labels(1.2e6, 'bitrate')).toEqual(['0', '0.5', '1.0', '1.5']);
    expect(labels(6.3e6, 'bitrate')).toEqual(['0', '2', '4', '6', '8']);
    expect(labels(9e6, 'bitrate')).toEqual(['0', '2.5', '5.0', '7.5', '10.0']);
    expect(labels(37e6, 'bitrate')).toEqual(['0', '10', '20', '30', '40']);
  });

  it('labels bitrates below 1 Mbit/s in kbit/s', () => {
    expect(chartAxis(1e5, 'bitrate')).toMatchObject({ unit: 'kbit/s', top: 1e5 });
    expect(labels(1e5, 'bitrate')).toEqual(['0', '25', '50', '75', '100']);
    expect(labels(640e3, 'bitrate')).toEqual(['0', '200', '400', '600', '800']);
  });

  it('keeps milliseconds and percent in their units', () => {
    expect(chartAxis(20, 'ms')).toMatchObject({ unit: 'ms', top: 20 });
    expect(labels(20, 'ms')).toEqual(['0', '5', '10', '15', '20']);
    expect(labels(130, 'ms')).toEqual(['0', '50', '100', '150']);
    expect(labels(0.8, 'percent')).toEqual(['0', '0.2', '0.4', '0.6', '0.8']);
    expect(chartAxis(100, 'percent')).toMatchObject({ unit: '%', top: 100 });
  });

  it('survives a zero, negative or non-finite peak with a usable axis', () => {
    for (const peak of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const axis = chartAxis(peak, 'ms');
      expect(axis.top).toBeGreaterThan(0);
      expect(axis.ticks.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('for any peak: the top holds it, 2 to 5 even ticks, distinct exact labels', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-3, max: 1e10, noNaN: true }),
        fc.constantFrom<AxisKind>('bitrate', 'ms', 'percent'),
        (peak, kind) => {
          const axis = chartAxis(peak, kind);
          expect(axis.top).toBeGreaterThanOrEqual(peak * (1 - 1e-9));
          expect(axis.ticks.length).toBeGreaterThanOrEqual(2);
          expect(axis.ticks.length).toBeLessThanOrEqual(5);
          // Tight: the step below would not have reached the peak, so the lines fill most of it.
          expect(axis.top).toBeLessThanOrEqual(peak * 2.5 + 1e-9);
          const divisor = axis.unit === 'Mbit/s' ? 1e6 : axis.unit === 'kbit/s' ? 1e3 : 1;
          const step = (axis.ticks[1]?.value ?? Number.NaN) - (axis.ticks[0]?.value ?? Number.NaN);
          axis.ticks.forEach((tick, i) => {
            expect(Math.abs(tick.value - i * step)).toBeLessThanOrEqual(step * 1e-9);
            // The label reads back as the tick's value (no "0.3" for 0.25).
            expect(Math.abs(Number(tick.label) * divisor - tick.value)).toBeLessThanOrEqual(
              step * 1e-6,
            );
          });
          expect(new Set(axis.ticks.map((tick) => tick.label)).size).toBe(axis.ticks.length);
        },
      ),
      { numRuns: 500 },
    );
  });
});
