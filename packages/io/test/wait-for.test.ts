import { describe, expect, it } from 'vitest';
import { waitFor, WaitTimeoutError } from '@bond/io/testing';

describe('waitFor', () => {
  it('resolves at once when the condition already holds', async () => {
    let checks = 0;
    await waitFor(() => {
      checks++;
      return true;
    }, 'a condition that holds');
    expect(checks).toBe(1);
  });

  it('keeps polling until the condition comes true', async () => {
    let checks = 0;
    await waitFor(() => ++checks === 4, 'the fourth check', { timeoutMs: 2000, intervalMs: 1 });
    expect(checks).toBe(4);
  });

  it('times out with a message naming what it waited for, after about its time limit', async () => {
    let checks = 0;
    const started = performance.now();
    const waiting = waitFor(
      () => {
        checks++;
        return false;
      },
      'the impossible',
      { timeoutMs: 60, intervalMs: 10 },
    );
    await expect(waiting).rejects.toThrow(new WaitTimeoutError('the impossible', 60).message);
    await expect(waiting).rejects.toBeInstanceOf(WaitTimeoutError);
    expect(new WaitTimeoutError('the impossible', 60).message).toBe(
      'timed out after 60 ms waiting for the impossible',
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    // Checked more than once, and the interval was respected (not a busy loop).
    expect(checks).toBeGreaterThan(1);
    expect(checks).toBeLessThan(20);
  });

  it('takes a number as the time limit', async () => {
    const started = performance.now();
    await expect(waitFor(() => false, 'nothing', 40)).rejects.toThrow(
      'timed out after 40 ms waiting for nothing',
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  });

  it('describes the state at the timeout when `what` is a function (called then, not before)', async () => {
    let count = 0;
    const waiting = waitFor(
      () => ++count > 1_000_000,
      () => Promise.resolve(`a million checks (got ${count})`),
      { timeoutMs: 30, intervalMs: 5 },
    );
    await expect(waiting).rejects.toThrow(
      /^timed out after 30 ms waiting for a million checks \(got ([2-9]|\d{2,})\)$/,
    );
  });

  it('awaits async conditions', async () => {
    let checks = 0;
    await waitFor(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return ++checks === 3;
      },
      'the third async check',
      { timeoutMs: 2000, intervalMs: 1 },
    );
    expect(checks).toBe(3);
  });

  it('is bounded even when an async condition never settles', async () => {
    const started = performance.now();
    await expect(
      waitFor(() => new Promise<boolean>(() => undefined), 'a promise that never settles', 50),
    ).rejects.toThrow('timed out after 50 ms waiting for a promise that never settles');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("rejects with the condition's own error when it throws", async () => {
    await expect(
      waitFor(() => {
        throw new Error('broken condition');
      }, 'anything'),
    ).rejects.toThrow('broken condition');
    await expect(
      waitFor(() => Promise.reject(new Error('async failure')), 'anything'),
    ).rejects.toThrow('async failure');
  });
});
