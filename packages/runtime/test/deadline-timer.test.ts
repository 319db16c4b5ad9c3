// The lazy engine timer: a deadline that moves later keeps the armed Node.js timer (it fires early
// and the runtime arms again); an earlier deadline re-arms; none disarms.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineTimer } from '../src/deadline-timer.js';

describe('DeadlineTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const start = (onDue: () => void = () => undefined) => new DeadlineTimer(() => Date.now(), onDue);

  it('keeps the armed timer when the deadline moves later, and fires at the earlier one', () => {
    const fired: number[] = [];
    const t0 = Date.now();
    const timer = start(() => fired.push(Date.now() - t0));
    timer.arm(t0 + 100);
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    for (let later = 101; later <= 200; later++) timer.arm(t0 + later);
    expect(setTimeoutSpy).not.toHaveBeenCalled();
    expect(timer.armed).toBe(t0 + 100);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([100]);
    expect(timer.armed).toBeUndefined();
  });

  it('re-arms for an earlier deadline', () => {
    const fired: number[] = [];
    const t0 = Date.now();
    const timer = start(() => fired.push(Date.now() - t0));
    timer.arm(t0 + 100);
    timer.arm(t0 + 30);
    expect(timer.armed).toBe(t0 + 30);
    vi.advanceTimersByTime(30);
    expect(fired).toEqual([30]);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([30]); // the 100 ms timer was replaced, not kept beside it
  });

  it('disarms for no deadline and on clear', () => {
    const onDue = vi.fn();
    const timer = start(onDue);
    timer.arm(Date.now() + 10);
    timer.arm(undefined);
    expect(timer.armed).toBeUndefined();
    timer.arm(Date.now() + 10);
    timer.clear();
    vi.advanceTimersByTime(50);
    expect(onDue).not.toHaveBeenCalled();
  });

  it('fires at once for a deadline already past', () => {
    const onDue = vi.fn();
    const timer = start(onDue);
    timer.arm(Date.now() - 5);
    vi.advanceTimersByTime(0);
    expect(onDue).toHaveBeenCalledTimes(1);
  });
});
