/**
 * Keeps whether the SRT listener is there current: the one state the log, `/healthz`, the stats
 * API, `/metrics` and the dashboard all show.
 *
 * Every interval while it answers (and every {@link DOWN_INTERVAL_MS} at most while it does not,
 * so its return is noticed within a second or so) one check runs:
 * - if any group received datagrams from the listener since the previous check, it is there (a
 *   listener serving a caller, like srt-live-transmit, may not answer a second caller's handshake);
 * - otherwise one SRT induction handshake is sent and its answer decides.
 * A group's upstream socket refused by the listener (ICMP port unreachable: ECONNREFUSED) marks it
 * down at once, without waiting for the next check ({@link ListenerProbe.refused}).
 *
 * One log line per change of state (and one for the first result), never one per check, refusal
 * or group. Never stops the receiver.
 *
 * The handshakes go out over one socket kept open while the watcher runs (reopened for a new
 * listener address, after a socket error, and on {@link ListenerProbe.restart}): a check is one
 * datagram, not a socket set-up on the main thread twice a second while the listener is down.
 */
import { createSrtProber, type SrtProber, type SrtProbeResult } from '@bond/runtime';
import type { Address, IoBackend } from '@bond/io';
import type { AppLogger } from '@bond/runtime';

/** 1000 ms: how long a handshake probe waits for the listener's reply. */
const PROBE_TIMEOUT_MS = 1000;
/**
 * 500 ms: the longest wait between checks while the listener is down, so "up again" is noticed
 * within about half a second of it answering (a second and a half if probes go unanswered).
 */
export const DOWN_INTERVAL_MS = 500;

export interface ListenerProbeState {
  readonly target: string;
  /** undefined until the first check finished. */
  readonly answered: boolean | undefined;
  /** What the last check saw, in a few words. */
  readonly detail: string;
  /** Checks done since start (or since the listener setting changed). */
  readonly attempts: number;
  /** When `answered` last changed (ISO 8601), or undefined before the first result. */
  readonly since: string | undefined;
}

export interface ListenerProbeSources {
  /** The SRT listener to probe (read at every check, so a reload's new listener is used). */
  readonly target: () => Address;
  /** Datagrams received from the listener so far, by group id (only live groups). */
  readonly fromListener: () => ReadonlyMap<number, number>;
}

export interface ListenerProbeOptions {
  /** Backend for the probe's socket. Default `dgram` (one datagram at a time needs no batching). */
  readonly io?: IoBackend;
}

export interface ListenerProbe {
  state(): ListenerProbeState;
  /** Checks `target` afresh (after the SRT listener setting changed). */
  restart(): void;
  /**
   * The listener refused a group's datagrams (ECONNREFUSED on its upstream socket): marks it down
   * now; the next check says when it is back.
   */
  refused(detail: string): void;
  stop(): Promise<void>;
}

export function watchSrtListener(
  sources: ListenerProbeSources,
  intervalMs: number,
  logger: AppLogger,
  options: ListenerProbeOptions = {},
): ListenerProbe {
  const newProber = () =>
    createSrtProber({
      timeoutMs: PROBE_TIMEOUT_MS,
      ...(options.io === undefined ? {} : { io: options.io }),
    });
  let prober: SrtProber = newProber();
  /** Probers replaced by a restart, closing. */
  let retiring: Promise<void> = Promise.resolve();
  let generation = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  let seen: ReadonlyMap<number, number> = new Map();
  const fresh = (): ListenerProbeState => ({
    target: sources.target().toString(),
    answered: undefined,
    detail: 'not probed yet',
    attempts: 0,
    since: undefined,
  });
  let state = fresh();

  const downIntervalMs = Math.min(intervalMs, DOWN_INTERVAL_MS);
  /** Moves to `next`, logging when `answered` changed (or on the first result). */
  const settle = (answered: boolean, detail: string, target: string, check = true): void => {
    const before = state.answered;
    state = {
      target,
      answered,
      detail,
      attempts: state.attempts + (check ? 1 : 0),
      since: before === answered ? state.since : new Date().toISOString(),
    };
    if (before === answered) return;
    const fields = { server: target, detail };
    if (answered) {
      const message = before === false ? 'SRT server answers again' : 'SRT server answers';
      // A rejection means it is there but refuses callers like ours (stream id, passphrase).
      if (detail.includes('rejection')) logger.warn(message, fields);
      else logger.info(message, fields);
    } else if (before === undefined) {
      logger.warn('SRT server does not answer', {
        ...fields,
        action: `still running: senders are accepted, and the SRT server is checked every ${downIntervalMs / 1000} s`,
      });
    } else {
      logger.warn('SRT server stopped answering', {
        ...fields,
        action: `streams wait and health is unavailable until it answers; checked every ${downIntervalMs / 1000} s`,
      });
    }
  };

  /** Runs the next check after the interval for the current state. */
  const schedule = (mine: number, delayMs: number): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      running = check(mine);
    }, delayMs);
    timer.unref();
  };
  /** Whether a check is running now (its probe awaiting the reply). */
  let checking = false;
  /** The latest probe's number: only its end clears `checking` (not an older one's, after a restart). */
  let probeNumber = 0;

  /** Whether some group heard from the listener since the previous check. */
  const trafficSinceLastCheck = (): number => {
    const now = sources.fromListener();
    let groups = 0;
    for (const [groupId, count] of now) {
      if (count > (seen.get(groupId) ?? 0)) groups++;
    }
    seen = now;
    return groups;
  };

  const check = async (mine: number): Promise<void> => {
    const target = sources.target().toString();
    const groups = trafficSinceLastCheck();
    if (groups > 0) {
      settle(true, `carrying SRT: ${groups} group(s) heard from it since the last check`, target);
    } else {
      checking = true;
      const number = ++probeNumber;
      const result: SrtProbeResult = await prober.probe(sources.target()).finally(() => {
        if (number === probeNumber) checking = false;
      });
      if (stopped || mine !== generation) return;
      settle(result.answered, result.detail, target);
    }
    schedule(mine, state.answered === false ? downIntervalMs : intervalMs);
  };

  const start = () => {
    generation++;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    state = fresh();
    seen = new Map();
    running = check(generation);
  };
  const restart = () => {
    if (stopped) return;
    // A fresh socket for the (maybe new) listener; a probe in flight on the old one ends now.
    const old = prober;
    prober = newProber();
    retiring = Promise.all([retiring, old.close()]).then(() => undefined);
    start();
  };
  start();

  return {
    state: () => state,
    restart,
    refused(detail) {
      if (stopped) return;
      // Traffic counted before the refusal is no evidence that it is there now.
      seen = sources.fromListener();
      const wasDown = state.answered === false;
      settle(false, detail, sources.target().toString(), false);
      // Re-check at the pace for a listener that is down (a check in flight reschedules itself;
      // while it stays down the timer already runs at that pace, so refusals do not push it).
      if (!wasDown && !checking) schedule(generation, downIntervalMs);
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      // Ends a probe in flight, so the check it belongs to returns at once.
      await prober.close();
      await running;
      await retiring;
    },
  };
}
