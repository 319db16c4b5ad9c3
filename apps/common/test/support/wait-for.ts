// The repository's one bounded wait (`waitFor` in @bond/io/testing) with the apps' limits.
import { waitFor as waitWithin } from '@bond/io/testing';

/**
 * Waits until `condition()` holds: 5 s unless given, a check every 10 ms (child processes and HTTP
 * servers start slower than in-process sockets, whose tests use the shared 3 s and 5 ms).
 */
export function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  return waitWithin(condition, what, { timeoutMs, intervalMs: 10 });
}
