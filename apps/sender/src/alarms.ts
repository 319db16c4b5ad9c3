/**
 * The sender's alarms: the states a streamer must see first and be told about once, each derived
 * from a `SenderSnapshot`.
 *
 * - `receiver-silent`: nothing at all comes back from the receiver (core's `receiverSilent`): the
 *   address, port, firewall or the receiver itself is wrong, or no uplink reaches anything.
 * - `all-down`: no link's answers arrive in time (every link stalled, down or connecting), after
 *   a link was up or once the sender has run for 4 s (links dead from the start).
 * - `refused`: the receiver refused the sender (REG_NAK); the runtime logs it.
 *
 * {@link AlarmWatch} turns the changes into one log line each, recoveries included.
 */
import { LINK_HEALTH, type RuntimeLogger, type SenderSnapshot } from '@bond/runtime';

export type SenderAlarm = 'receiver-silent' | 'all-down' | 'refused';

/** What to check when the receiver does not answer, for the log line and the view. */
export const RECEIVER_SILENT_HINT =
  'check the receiver address and port, that bond-receiver or srtla_rec runs there, ' +
  'that no firewall drops UDP to it, and that the uplinks reach the internet';

/** The alarm `snapshot` calls for, if any; `everHealthy`: a link was up before. */
export function currentAlarm(
  snapshot: SenderSnapshot,
  everHealthy: boolean,
): SenderAlarm | undefined {
  if (snapshot.phase === 'refused') return 'refused';
  if (snapshot.links.length === 0) return undefined;
  if (snapshot.receiverSilent) return 'receiver-silent';
  if (snapshot.linksHealthy > 0) return undefined;
  return everHealthy || snapshot.uptimeMs >= LINK_HEALTH.downMs ? 'all-down' : undefined;
}

function seconds(ms: number | undefined): string {
  return `${Math.floor((ms ?? 0) / 1000)} s`;
}

/** The alarm as the first line of the live view (cut to width by the caller). */
export function alarmLine(alarm: SenderAlarm, snapshot: SenderSnapshot): string {
  switch (alarm) {
    case 'receiver-silent':
      return (
        `!! RECEIVER NOT ANSWERING (${seconds(snapshot.receiverSilentForMs)}), ALL LINKS DOWN: ` +
        'check address, port, firewall'
      );
    case 'all-down':
      return `!! ALL LINKS DOWN: the stream is not getting through (${snapshot.droppedNoLink} dropped)`;
    case 'refused':
      return `!! REFUSED BY THE RECEIVER: ${snapshot.refusedReason ?? 'REG_NAK'}`;
  }
}

/** Follows the alarm from snapshot to snapshot and logs each change once. */
export class AlarmWatch {
  private everHealthy = false;
  private alarm: SenderAlarm | undefined;
  private since = 0;

  constructor(private readonly logger: RuntimeLogger) {}

  /** The alarm now, without logging (for documents taken between ticks). */
  peek(snapshot: SenderSnapshot): SenderAlarm | undefined {
    return currentAlarm(snapshot, this.everHealthy || snapshot.linksHealthy > 0);
  }

  /** Notes `snapshot`, logs a change of alarm, and returns the alarm now. */
  update(snapshot: SenderSnapshot): SenderAlarm | undefined {
    if (snapshot.linksHealthy > 0) this.everHealthy = true;
    const next = currentAlarm(snapshot, this.everHealthy);
    const before = this.alarm;
    if (next === before) return next;
    const lastedMs = snapshot.uptimeMs - this.since;
    this.alarm = next;
    this.since = snapshot.uptimeMs;
    const links = snapshot.links.length;
    if (next === 'receiver-silent') {
      this.logger.warn('receiver not answering: all links down', {
        receiver: snapshot.receiver,
        silentForMs: snapshot.receiverSilentForMs,
        links,
        check: RECEIVER_SILENT_HINT,
      });
    } else if (next === 'all-down') {
      if (before === 'receiver-silent') {
        this.logger.info('the receiver answers; no link is up yet', {
          receiver: snapshot.receiver,
        });
      }
      this.logger.warn('all links down: the stream is not getting through until one comes back', {
        links,
        states: snapshot.links.map(
          (link) => `${link.name}=${link.engine?.health ?? link.socket.state}`,
        ),
      });
    } else if (next === undefined) {
      if (before === 'receiver-silent') {
        this.logger.info('the receiver answers: a link is up, the stream flows', {
          receiver: snapshot.receiver,
          linksUp: snapshot.linksHealthy,
          afterMs: lastedMs,
        });
      } else if (before === 'all-down') {
        this.logger.info('a link is up again: the stream flows', {
          linksUp: snapshot.linksHealthy,
          downForMs: lastedMs,
        });
      }
    }
    return next;
  }
}
