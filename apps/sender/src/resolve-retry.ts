/**
 * The receiver's name, resolved even when it does not resolve yet: an encoder often boots before
 * its modems, so a name that does not resolve at start is retried with back-off (logged once),
 * and the sender starts once it resolves. Other errors (an invalid port, an empty name) are
 * thrown at once.
 */
import type { Address } from '@bond/wire';
import { ReceiverResolveError, type RuntimeLogger } from '@bond/runtime';

export type ReceiverResolver = (
  host: string,
  port: number,
  family: 4 | 6 | undefined,
) => Promise<Address>;

export interface ResolveRetry {
  /** First wait after a failure, ms; doubles up to `maxMs`. Default 1000. */
  readonly firstMs?: number;
  /** Longest wait between attempts, ms. Default 10000. */
  readonly maxMs?: number;
}

/** Resolving stopped because the sender is closing (SIGTERM while waiting for the name). */
export class ResolveAbortedError extends Error {
  constructor() {
    super('stopped while waiting for the receiver name to resolve');
    this.name = 'ResolveAbortedError';
  }
}

const DEFAULT_FIRST_MS = 1000;
const DEFAULT_MAX_MS = 10_000;

function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new ResolveAbortedError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ResolveAbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Resolves `host` with `resolve`, retrying a {@link ReceiverResolveError} with back-off until it
 * resolves or `signal` aborts ({@link ResolveAbortedError}). Logs the first failure and the
 * eventual success once each; the retries in between at debug.
 */
export async function resolveWithRetry(
  resolve: ReceiverResolver,
  host: string,
  port: number,
  family: 4 | 6 | undefined,
  logger: RuntimeLogger,
  options: ResolveRetry & { readonly signal?: AbortSignal } = {},
): Promise<Address> {
  const first = options.firstMs ?? DEFAULT_FIRST_MS;
  const max = Math.max(first, options.maxMs ?? DEFAULT_MAX_MS);
  let delay = first;
  let failures = 0;
  const started = performance.now();
  for (;;) {
    if (options.signal?.aborted === true) throw new ResolveAbortedError();
    try {
      const address = await resolve(host, port, family);
      if (failures > 0) {
        logger.info('receiver name resolved: starting', {
          host,
          receiver: address.toString(),
          attempts: failures + 1,
          afterMs: Math.round(performance.now() - started),
        });
      }
      return address;
    } catch (error) {
      if (!(error instanceof ReceiverResolveError)) throw error;
      failures++;
      if (failures === 1) {
        logger.warn(
          `cannot resolve the receiver ${host} yet; retrying every ${first / 1000} s, backing off to every ${max / 1000} s`,
          { host, error: error.message },
        );
      } else {
        logger.debug('receiver name still does not resolve', { host, attempts: failures });
      }
    }
    await wait(delay, options.signal);
    delay = Math.min(max, delay * 2);
  }
}
