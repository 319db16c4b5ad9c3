// The test-only kit both apps' tests share: metric samples read back from exposition text (and an
// ambiguous query refused), cleanup that runs last-deferred first after each test, and the apps'
// bounded wait.
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, metricValue, parseMetrics, waitFor } from './support/testing.js';

const order: string[] = [];
const defer = cleanupAfterEach();

describe('metric samples', () => {
  const samples = parseMetrics(
    [
      '# HELP x_links Links.',
      '# TYPE x_links gauge',
      'x_links 2',
      'x_state{link="a",state="up"} 1',
      'x_state{link="b",state="up"} 0',
      'x_note{text="say \\"hi\\""} 3',
    ].join('\n'),
  );

  it('reads names, labels and values, skipping comments', () => {
    expect(samples).toEqual([
      { name: 'x_links', labels: {}, value: 2 },
      { name: 'x_state', labels: { link: 'a', state: 'up' }, value: 1 },
      { name: 'x_state', labels: { link: 'b', state: 'up' }, value: 0 },
      { name: 'x_note', labels: { text: 'say \\"hi\\"' }, value: 3 },
    ]);
  });

  it('finds the one matching sample, and refuses to pick among several', () => {
    expect(metricValue(samples, 'x_links')).toBe(2);
    expect(metricValue(samples, 'x_state', { link: 'b' })).toBe(0);
    expect(metricValue(samples, 'x_state', { link: 'c' })).toBeUndefined();
    expect(() => metricValue(samples, 'x_state', { state: 'up' })).toThrow(/2 samples of x_state/);
  });
});

describe('cleanupAfterEach', () => {
  it('defers stops', () => {
    defer(() => {
      order.push('first');
      return Promise.resolve();
    });
    defer(() => {
      order.push('second');
      return Promise.resolve();
    });
    expect(order).toEqual([]);
  });

  it('ran the stops of the test before, last deferred first', () => {
    expect(order).toEqual(['second', 'first']);
  });
});

describe('waitFor', () => {
  it('awaits an async condition, checking again until it holds', async () => {
    let checks = 0;
    await waitFor(() => Promise.resolve(++checks === 3), 'the third check');
    expect(checks).toBe(3);
  });

  it('takes a number as its time limit and names what it waited for', async () => {
    const started = performance.now();
    await expect(waitFor(() => false, 'nothing', 40)).rejects.toThrow(
      'timed out after 40 ms waiting for nothing',
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  });
});
