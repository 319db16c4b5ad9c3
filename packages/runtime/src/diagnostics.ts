/**
 * `node:diagnostics_channel` channels the receiver publishes on. Subscribe with
 * `diagnostics_channel.subscribe(receiverChannels.groupCreated, (message) => ...)`; messages are
 * plain objects described by {@link ReceiverDiagnostic}. Nothing is built unless a channel has
 * subscribers.
 */
import { channel } from 'node:diagnostics_channel';

export const receiverChannels = {
  /** A sender registered a new group (REG1 answered). */
  groupCreated: 'bond:receiver:group-created',
  /** A group carried its first SRT data packet. */
  groupActive: 'bond:receiver:group-active',
  /** A group was removed (timed out, evicted, upstream failed, receiver closed). */
  groupRemoved: 'bond:receiver:group-removed',
  /** A link joined a group (REG2 answered with REG3). */
  linkUp: 'bond:receiver:link-up',
  /** A link left its group (timed out, or its group was removed). */
  linkDown: 'bond:receiver:link-down',
  /** A registration was refused with REG_ERR (limits, address conflicts). */
  registrationRefused: 'bond:receiver:registration-refused',
  /** A group's upstream socket failed (the SRT listener is down or refused). */
  upstreamError: 'bond:receiver:upstream-error',
  /**
   * A link's quality score changed. Published when the core evaluator reports a score that differs
   * from the last one seen; until core scores links (a placeholder today) it is not published.
   */
  linkQuality: 'bond:receiver:link-quality',
} as const;

export type ReceiverChannelName = (typeof receiverChannels)[keyof typeof receiverChannels];

/** What every receiver diagnostic message carries. */
export interface ReceiverDiagnostic {
  /** The receiver's listening address (`[::]:5000`), telling instances apart. */
  readonly receiver: string;
  readonly groupId?: number;
  /** The link's or sender's address, printed (IPv4-mapped IPv6 as IPv4). */
  readonly address?: string;
  readonly reason?: string;
}

const channels = new Map<string, ReturnType<typeof channel>>();

/** Publishes `build()` on `name` when anyone listens. */
export function publish(name: ReceiverChannelName, build: () => ReceiverDiagnostic): void {
  let target = channels.get(name);
  if (target === undefined) {
    target = channel(name);
    channels.set(name, target);
  }
  if (target.hasSubscribers) target.publish(build());
}
