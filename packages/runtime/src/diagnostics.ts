/**
 * `node:diagnostics_channel` channels the receiver and the sender publish on. Subscribe with
 * `diagnostics_channel.subscribe(receiverChannels.groupCreated, (message) => ...)`; messages are
 * plain objects described by {@link ReceiverDiagnostic} and {@link SenderDiagnostic}. Nothing is
 * built unless a channel has subscribers.
 */
import { channel } from 'node:diagnostics_channel';

export const receiverChannels = {
  /** A sender registered a new group (a REG2 brought back an id a REG1 answer gave: verified). */
  groupCreated: 'bond:receiver:group-created',
  /** The caller's conclusion handshake named the group's stream (`stream`: its label). */
  groupStream: 'bond:receiver:group-stream',
  /** A group carried its first SRT packet (a handshake counts); its upstream socket opens. */
  groupActive: 'bond:receiver:group-active',
  /** A group was removed (timed out, evicted, upstream failed, receiver closed). */
  groupRemoved: 'bond:receiver:group-removed',
  /** A link joined a group (REG2 answered with REG3). */
  linkUp: 'bond:receiver:link-up',
  /** A link left its group (timed out, or its group was removed). */
  linkDown: 'bond:receiver:link-down',
  /**
   * A link joined a group carrying SRT from a network none of its other links use (another
   * family, IPv4 /16 or IPv6 /48): normal for a new modem; otherwise someone with the group id.
   */
  linkFromNewNetwork: 'bond:receiver:link-from-new-network',
  /** A registration was refused with REG_ERR (limits, address conflicts). */
  registrationRefused: 'bond:receiver:registration-refused',
  /** A group's upstream socket failed (the SRT listener is down or refused). */
  upstreamError: 'bond:receiver:upstream-error',
  /** The evaluator moved a link to another quality level (good / fair / poor). */
  linkQuality: 'bond:receiver:link-quality',
  /** The SRT listener rejected a group's stream (handshake rejection; once per group and code). */
  srtRejected: 'bond:receiver:srt-rejected',
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
  /** For `groupStream`: the stream's label (as the receiver's `streamLabel` mode shows it). */
  readonly stream?: string;
  /** For `upstreamError`: the system's error name (`ECONNREFUSED`: nothing listens there). */
  readonly errno?: string;
  /** For `linkQuality`: the new level and the score behind it (0-1000). */
  readonly level?: string;
  readonly score?: number;
  /** For `srtRejected`: the listener's handshake type (1000 + SRT's reason code). */
  readonly code?: number;
}

export const senderChannels = {
  /** The receiver answered REG1 with REG2: the sender has a group. */
  registered: 'bond:sender:registered',
  /** A link's REG3 arrived: it carries data. */
  linkUp: 'bond:sender:link-up',
  /** A link stopped carrying data (timed out, removed, its socket failed, group gone). */
  linkDown: 'bond:sender:link-down',
  /** The sender started a new group (first start, or the receiver forgot the old one). */
  bootstrap: 'bond:sender:bootstrap',
  /** The receiver refused the sender for good (REG_NAK). */
  refused: 'bond:sender:refused',
  /** The receiver answered REG_ERR: the sender backs off and retries. */
  registrationError: 'bond:sender:registration-error',
  /** A link's keepalive echoes told what the receiver is (`bond` or `legacy`). */
  receiverKind: 'bond:sender:receiver-kind',
  /** A link's socket could not be opened or failed (address gone, network down); retried later. */
  linkFailed: 'bond:sender:link-failed',
} as const;

export type SenderChannelName = (typeof senderChannels)[keyof typeof senderChannels];

/** What every sender diagnostic message carries. */
export interface SenderDiagnostic {
  /** The sender's encoder-facing address (`127.0.0.1:5000`), telling instances apart. */
  readonly sender: string;
  readonly linkId?: number;
  /** The link's name. */
  readonly name?: string;
  readonly reason?: string;
  /** `bond`, `legacy` or `unknown`, for `receiver-kind`. */
  readonly kind?: string;
  /** For `registration-error` and `link-failed`: when the next attempt is. */
  readonly retryInMs?: number;
}

const channels = new Map<string, ReturnType<typeof channel>>();

/** Publishes `build()` on `name` when anyone listens. */
export function publish(name: ReceiverChannelName, build: () => ReceiverDiagnostic): void;
export function publish(name: SenderChannelName, build: () => SenderDiagnostic): void;
export function publish(
  name: ReceiverChannelName | SenderChannelName,
  build: () => ReceiverDiagnostic | SenderDiagnostic,
): void {
  let target = channels.get(name);
  if (target === undefined) {
    target = channel(name);
    channels.set(name, target);
  }
  if (target.hasSubscribers) target.publish(build());
}
