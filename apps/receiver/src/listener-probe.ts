/**
 * Watches whether the SRT listener is there: an induction handshake at start, and again every
 * interval until it answers. Says clearly in the log whether it answered; never stops the receiver.
 */
import { probeSrtListener, type SrtProbeResult } from '@bond/runtime';
import type { Address } from '@bond/io';
import type { AppLogger } from '@bond/runtime';

export interface ListenerProbeState {
  readonly target: string;
  /** undefined until the first probe finished. */
  readonly answered: boolean | undefined;
  readonly detail: string;
  readonly attempts: number;
}

export interface ListenerProbe {
  state(): ListenerProbeState;
  /** Probes `target` afresh (after the SRT listener setting changed). */
  restart(): void;
  stop(): Promise<void>;
}

export function watchSrtListener(
  target: () => Address,
  intervalMs: number,
  logger: AppLogger,
): ListenerProbe {
  let generation = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  let state: ListenerProbeState = {
    target: target().toString(),
    answered: undefined,
    detail: 'not probed yet',
    attempts: 0,
  };

  const attempt = async (mine: number): Promise<void> => {
    const endpoint = target();
    const name = endpoint.toString();
    const result: SrtProbeResult = await probeSrtListener(endpoint, { timeoutMs: 1000 });
    if (stopped || mine !== generation) return;
    const first = state.attempts === 0;
    const before = state.answered;
    state = {
      target: name,
      answered: result.answered,
      detail: result.detail,
      attempts: state.attempts + 1,
    };
    if (result.answered) {
      const message = before === false ? 'SRT listener answers now' : 'SRT listener answered';
      const fields = { listener: name, detail: result.detail };
      // A rejection means it is there but refuses callers like ours (stream id, passphrase).
      if (result.detail.includes('rejection')) logger.warn(message, fields);
      else logger.info(message, fields);
      return;
    }
    if (first) {
      logger.warn('SRT listener did not answer the induction handshake', {
        listener: name,
        detail: result.detail,
        action: `still running: senders are accepted, and the listener is probed again every ${intervalMs / 1000} s`,
      });
    } else {
      logger.debug('SRT listener still not answering', { listener: name, detail: result.detail });
    }
    timer = setTimeout(() => {
      running = attempt(mine);
    }, intervalMs);
    timer.unref();
  };

  const start = () => {
    generation++;
    if (timer !== undefined) clearTimeout(timer);
    state = {
      target: target().toString(),
      answered: undefined,
      detail: 'not probed yet',
      attempts: 0,
    };
    running = attempt(generation);
  };
  start();

  return {
    state: () => state,
    restart: start,
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
}
