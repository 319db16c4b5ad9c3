// settleFields rewrites every primitive field once and puts its value back: nothing changes.
import { describe, expect, it } from 'vitest';
import { AdaptiveLink } from '../src/adaptive-link.js';
import { RttEstimator } from '../src/rtt-estimator.js';
import { settleFields } from '../src/settle-fields.js';

describe('settleFields', () => {
  it('leaves every field as it was: numbers, undefined, booleans, strings, objects', () => {
    const inner = { a: 1 };
    const object = {
      zero: 0,
      fraction: 0.25,
      infinite: -Infinity,
      missing: undefined as number | undefined,
      yes: true,
      no: false,
      empty: '',
      text: 'idle',
      inner,
    };
    const before = { ...object };
    settleFields(object);
    expect(object).toEqual(before);
    expect(Object.keys(object)).toEqual(Object.keys(before));
    expect(object.inner).toBe(inner);
    expect(Object.is(object.infinite, -Infinity)).toBe(true);
  });

  it('runs in the hot classes’ constructors without changing their start state', () => {
    const rtt = new RttEstimator();
    expect(rtt.smoothedMs).toBeUndefined();
    expect(rtt.samples).toBe(0);
    const link = new AdaptiveLink(
      { minRate: 1000, targetQueueingMs: 20, stallMs: 500 },
      250_000,
      7,
    );
    expect(link.rate).toBe(250_000);
    expect(link.gain).toBe(1);
    expect(link.credit).toBe(0);
    expect(link.slowStart).toBe(true);
    expect(link.drainUntil).toBe(-Infinity);
    expect(link.probeClock).toBe(7);
  });
});
