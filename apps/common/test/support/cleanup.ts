// Cleanup that runs even when a test fails: what a test starts, it hands to `defer`.
import { afterEach } from 'vitest';

/**
 * Registers an `afterEach` (call it once, at a test file's top level) that runs every deferred stop
 * of the finished test, last deferred first; returns `defer`.
 */
export function cleanupAfterEach(): (stop: () => Promise<void>) => void {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });
  return (stop) => {
    stops.push(stop);
  };
}
