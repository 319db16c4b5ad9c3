/**
 * The SRTLA receiver as a sans-IO state machine (protocol.md 4.2, 5, 6.4, 6.5).
 *
 * Inputs carry the time: {@link ReceiverEngine.handleDatagram} (from senders, on the listening
 * socket), {@link ReceiverEngine.handleUpstreamDatagram} (from the SRT listener, on a group's
 * socket), {@link ReceiverEngine.handleTimeout}. Outputs are pulled: after any input, drain
 * {@link ReceiverEngine.pollTransmit} and {@link ReceiverEngine.pollEvent} until undefined, then arm
 * one timer at {@link ReceiverEngine.pollTimeout}. Calling `handleTimeout` early or twice is
 * harmless. On `group-active` (the group's first SRT packet) the runtime opens that group's
 * upstream socket (connected to the SRT listener); on `group-removed` it closes it.
 *
 * Registration costs nothing until it is real (issue 17): REG1 is answered with a group id whose
 * receiver half is a cookie ({@link RegistrationCookies}) and keeps no state; the REG2 that brings
 * a fresh, verified id back creates the group, *pending* until its first SRT packet (a handshake
 * counts). Pending groups are rationed per source: one per address and port, a few per IP
 * (`maxPendingGroupsPerIp`); a full table evicts the oldest pending group, never one that carried
 * SRT.
 *
 * Byte arrays passed in are forwarded without copying until `pollTransmit` has drained them. A
 * REG1 and a forged REG2 allocate nothing: a REG2 answer is written into a buffer its transmit slot
 * keeps, and the fixed replies (REG3, REG_ERR, REG_NGP) are encoded once, so a transmit's bytes
 * are valid until the engine's next input: send them (or copy them) before then.
 */
import {
  DatagramKind,
  SRTLA_ID_HALF_LENGTH,
  SRTLA_ID_LENGTH,
  SRTLA_REG_LENGTH,
  SRTLA_TYPE,
  SRT_CONTROL,
  WireDecodeError,
  classifyDatagram,
  constantTimeEqual,
  clampConnectionInfo,
  decodeKeepalive,
  describeSrtRejection,
  displayLinkName,
  encodeKeepaliveEcho,
  isExtendedKeepalive,
  encodeReg3,
  encodeRegErr,
  encodeRegNgp,
  isHandshakeRejection,
  peekSrtControlType,
  peekSrtHandshakeType,
  peekSrtDataSeq,
  peekSrtRetransmitted,
  peekSrtTimestamp,
  readSrtStreamId,
  writeSrtlaAck,
  SRTLA_ACK_LENGTH,
  SRTLA_ACK_SEQS_PER_ACK,
  SRT_HANDSHAKE_TYPE,
  RECEIVER_CAPABILITY,
  type Address,
} from '@bond/wire';
import { InvalidConfigError } from './errors.js';
import { COMPAT_ACK_THROTTLE_INTERVAL_MS, type EvaluatorMode } from './evaluator.js';
import { createPassThroughForwardPath, type ForwardPathFactory } from './forward-path.js';
import { silentLogger, type CoreLogger } from './logger.js';
import type { RandomSource } from './random.js';
import {
  COOKIE_KEYS_LENGTH,
  COOKIE_MAC_OFFSET,
  MAX_COOKIE_NODE_INDEX,
  RegistrationCookies,
} from './receiver-cookie.js';
import { ReceiverGroup, ReceiverLink } from './receiver-group.js';
import {
  ReceiverTarget,
  type ReceiverEvent,
  type ReceiverGroupStats,
  type ReceiverLimits,
  type ReceiverOptions,
  type ReceiverReconfiguration,
  type ReceiverStats,
  type ReceiverTransmit,
} from './receiver-types.js';
import { SlotQueue } from './slot-queue.js';

const DEFAULTS = {
  // protocol.md 4.3: bond's defaults.
  maxLinksPerGroup: 16,
  maxGroups: 200,
  linkTimeoutMs: 15_000,
  groupTimeoutMs: 30_000,
  pendingGroupTimeoutMs: 5000,
  // 4: a few senders behind one carrier NAT may register at once; one host cannot hold the table.
  maxPendingGroupsPerIp: 4,
  // 32: receivers pad short replies because some carrier NATs drop tiny datagrams.
  padRepliesTo: 32,
  housekeepingIntervalMs: 1000,
} as const;

/**
 * 64: distinct rejection codes counted one by one; further codes are counted under
 * {@link OTHER_REJECTION} (a listener picks them, and the counts must stay small).
 */
const REJECTION_CODES_COUNTED = 64;
/** Where rejection codes past {@link REJECTION_CODES_COUNTED} are counted. */
const OTHER_REJECTION = 0;

const EMPTY = new Uint8Array(0);

/**
 * A transmit queue slot: the transmit, and the REG2 answer, keepalive echo and SRTLA ACK buffers
 * the slot keeps for when it carries one (allocated the first time it does, then rewritten in
 * place).
 */
interface TransmitSlot extends ReceiverTransmit {
  reg2: Uint8Array | undefined;
  echo: Uint8Array | undefined;
  ack: Uint8Array | undefined;
}

export class ReceiverEngine {
  private readonly random: RandomSource;
  private readonly logger: CoreLogger;
  private forwardPathFactory: ForwardPathFactory;
  /** False with pass-through forwarding: no group's forward path ever holds a datagram. */
  private forwardPathsHold: boolean;
  private readonly config: {
    maxLinksPerGroup: number;
    maxGroups: number;
    linkTimeoutMs: number;
    groupTimeoutMs: number;
    pendingGroupTimeoutMs: number;
    maxPendingGroupsPerIp: number;
    padRepliesTo: number;
    housekeepingIntervalMs: number;
    evaluator: EvaluatorMode;
    ackThrottling: boolean;
    capabilities: number;
  };

  /** Groups by numeric handle, in creation order (oldest first). */
  private readonly groups = new Map<number, ReceiverGroup>();
  /** Groups by a key from the receiver's half of their id (candidates; confirm the whole id). */
  private readonly groupsByIdKey = new Map<number, ReceiverGroup[]>();
  /**
   * Links by `Address.key`. A hit counts only when the full address is equal ({@link findLink}); an
   * IPv6 address whose key another link holds is refused at REG2, so keys stay unique per link
   * (the evaluator keys its records by them too).
   */
  private readonly links = new Map<number, ReceiverLink>();
  /** Groups that carried no SRT yet, oldest first (the eviction order). */
  private readonly pendingGroups = new Set<ReceiverGroup>();
  /**
   * Pending groups by the IP (`Address.ip`) of the REG2 that created them, oldest first. Bounded:
   * an entry lives only while its groups are pending (they leave at their first SRT packet, or
   * expire by the pending timeout), and at most `maxPendingGroupsPerIp` per IP.
   */
  private readonly pendingByIp = new Map<string, ReceiverGroup[]>();
  private readonly cookies: RegistrationCookies;
  private nextGroupHandle = 1;
  private readonly transmits = new SlotQueue<TransmitSlot>(() => ({
    target: ReceiverTarget.Link,
    address: undefined,
    groupId: -1,
    bytes: EMPTY,
    reg2: undefined,
    echo: undefined,
    ack: undefined,
  }));
  /**
   * The replies that never change (REG3, REG_ERR, REG_NGP, padded), encoded once: a flood of forged
   * REG2 or refused registrations costs no buffer per answer. Consumers only read them.
   */
  private readonly replies: { reg3: Uint8Array; regErr: Uint8Array; regNgp: Uint8Array };
  private readonly events: ReceiverEvent[] = [];
  private nextHousekeepingAt: number | undefined;

  private reg1Received = 0;
  private reg2Received = 0;
  private regErrSent = 0;
  private regNgpSent = 0;
  private groupsCreated = 0;
  private groupsEvicted = 0;
  private reg2Expired = 0;
  private reg2Unverified = 0;
  private newNetworkJoins = 0;
  private droppedUnregistered = 0;
  private droppedShort = 0;
  private droppedSrtla = 0;
  private droppedUpstream = 0;
  /** Streams rejected by the SRT listener, by handshake type. */
  private readonly srtRejections = new Map<number, number>();

  constructor(options: ReceiverOptions) {
    this.random = options.random;
    const cluster = options.cluster;
    if (cluster !== undefined) checkCluster(cluster);
    this.cookies = new RegistrationCookies(options.random, cluster?.cookieKeys, cluster?.nodeIndex);
    this.logger = options.logger ?? silentLogger;
    this.forwardPathFactory = options.forwardPath ?? createPassThroughForwardPath;
    this.forwardPathsHold = this.forwardPathFactory !== createPassThroughForwardPath;
    this.config = {
      maxLinksPerGroup: count(
        'maxLinksPerGroup',
        options.maxLinksPerGroup,
        DEFAULTS.maxLinksPerGroup,
      ),
      maxGroups: count('maxGroups', options.maxGroups, DEFAULTS.maxGroups),
      linkTimeoutMs: duration('linkTimeoutMs', options.linkTimeoutMs, DEFAULTS.linkTimeoutMs),
      groupTimeoutMs: duration('groupTimeoutMs', options.groupTimeoutMs, DEFAULTS.groupTimeoutMs),
      pendingGroupTimeoutMs: duration(
        'pendingGroupTimeoutMs',
        options.pendingGroupTimeoutMs,
        DEFAULTS.pendingGroupTimeoutMs,
      ),
      maxPendingGroupsPerIp: count(
        'maxPendingGroupsPerIp',
        options.maxPendingGroupsPerIp,
        DEFAULTS.maxPendingGroupsPerIp,
      ),
      padRepliesTo: options.padRepliesTo ?? DEFAULTS.padRepliesTo,
      housekeepingIntervalMs: duration(
        'housekeepingIntervalMs',
        options.housekeepingIntervalMs,
        DEFAULTS.housekeepingIntervalMs,
      ),
      evaluator: evaluatorMode(options.evaluator),
      ackThrottling: options.ackThrottling ?? false,
      capabilities: receiverCapabilities(this.forwardPathsHold),
    };
    const pad = { padTo: this.config.padRepliesTo };
    this.replies = {
      reg3: encodeReg3(pad),
      regErr: encodeRegErr(pad),
      regNgp: encodeRegNgp(pad),
    };
  }

  // ---------------------------------------------------------------- from senders

  /** A datagram that arrived on the listening socket from `from`. */
  handleDatagram(now: number, from: Address, bytes: Uint8Array): void {
    this.armHousekeeping(now);
    const kind = classifyDatagram(bytes);
    if (kind === DatagramKind.SrtlaReg1) {
      this.onReg1(now, from, bytes);
      return;
    }
    if (kind === DatagramKind.SrtlaReg2) {
      this.onReg2(now, from, bytes);
      return;
    }
    const link = this.findLink(from);
    if (link === undefined) {
      this.droppedUnregistered++;
      return;
    }
    this.onLinkDatagram(now, link, kind, bytes);
  }

  /**
   * {@link handleDatagram} for a datagram from one of this engine's links; false, with nothing
   * done, when `from` is no link here. A cluster node's receiver calls this first and routes what
   * it refuses, so a link's datagram costs one link lookup.
   */
  handleLinkDatagram(now: number, from: Address, bytes: Uint8Array): boolean {
    const link = this.findLink(from);
    if (link === undefined) return false;
    this.armHousekeeping(now);
    const kind = classifyDatagram(bytes);
    if (kind === DatagramKind.SrtlaReg1) this.onReg1(now, from, bytes);
    else if (kind === DatagramKind.SrtlaReg2) this.onReg2(now, from, bytes);
    else this.onLinkDatagram(now, link, kind, bytes);
    return true;
  }

  private onLinkDatagram(
    now: number,
    link: ReceiverLink,
    kind: DatagramKind,
    bytes: Uint8Array,
  ): void {
    const group = link.group;
    link.lastActivity = now;
    group.lastActivity = now;
    link.packetsReceived++;
    link.bytesReceived += bytes.length;
    switch (kind) {
      case DatagramKind.SrtlaKeepalive:
        this.onKeepalive(link, bytes);
        return;
      case DatagramKind.SrtData:
        if (group.pending) this.activate(group);
        this.onData(now, link, bytes);
        return;
      case DatagramKind.SrtControl:
        if (group.pending) this.activate(group);
        group.srtStartedAt ??= now;
        if (peekSrtControlType(bytes) === SRT_CONTROL.HANDSHAKE) this.onHandshake(group, bytes);
        group.lastAddress = link;
        if (peekSrtControlType(bytes) === SRT_CONTROL.SHUTDOWN) group.shutdownAt = now;
        group.packetsForwarded++;
        group.bytesForwarded += bytes.length;
        group.forwardPath.push(now, bytes, undefined);
        return;
      case DatagramKind.Unknown:
        this.droppedShort++;
        return;
      default:
        // Unknown 0x9xxx types and sender-bound SRTLA types never reach the SRT listener.
        this.droppedSrtla++;
    }
  }

  private onData(now: number, link: ReceiverLink, bytes: Uint8Array): void {
    const group = link.group;
    group.lastAddress = link;
    link.dataPackets++;
    const seq = peekSrtDataSeq(bytes);
    const retransmitted = peekSrtRetransmitted(bytes);
    // Every data packet is acknowledged, duplicates and retransmissions included (protocol.md 6.4).
    link.pendingAcks[link.pendingAckCount++] = seq;
    if (link.pendingAckCount === SRTLA_ACK_SEQS_PER_ACK) {
      link.pendingAckCount = 0;
      if (this.ackWithheld(now, link)) {
        link.acksThrottled++;
      } else {
        // Written in a buffer its transmit slot keeps: an ACK per ten packets allocates nothing.
        const slot = this.transmits.push();
        let ack = slot.ack;
        if (ack === undefined) {
          ack = new Uint8Array(SRTLA_ACK_LENGTH);
          slot.ack = ack;
        }
        writeSrtlaAck(ack, link.pendingAcks, SRTLA_ACK_SEQS_PER_ACK);
        link.srtlaAcksSent++;
        link.lastAckSentAt = now;
        this.queue(ReceiverTarget.Link, link.address, group.id, ack, slot);
      }
    }
    if (!retransmitted) {
      link.delay.addSample(now, group.delayReference.relativeDelayUs(now, peekSrtTimestamp(bytes)));
    }
    // A duplicate (a copy of an original on a second link) was acknowledged above and goes no
    // further: the group's sequence window is the one duplicate filter. Retransmissions go on.
    if (!group.trackSeq(link, seq, retransmitted)) return;
    group.lastDataAt = now;
    group.feedback.forwarded(seq);
    group.packetsForwarded++;
    group.bytesForwarded += bytes.length;
    group.forwardPath.push(now, bytes, seq);
  }

  /** With ACK throttling on, an ACK is dropped if it comes sooner than 100 ms / factor. */
  private ackWithheld(now: number, link: ReceiverLink): boolean {
    if (!this.config.ackThrottling) return false;
    const factor = link.group.evaluator.score(link.address.key).ackThrottle;
    if (factor >= 1) return false;
    return now < link.lastAckSentAt + COMPAT_ACK_THROTTLE_INTERVAL_MS / factor;
  }

  /**
   * A handshake on its way to the SRT listener: a caller's conclusion names the stream (its
   * `SRT_CMD_SID`). Forwarded whatever it holds; a malformed one is the listener's to refuse.
   */
  private onHandshake(group: ReceiverGroup, bytes: Uint8Array): void {
    let streamId: string | undefined;
    try {
      streamId = readSrtStreamId(bytes);
    } catch (error) {
      if (!(error instanceof WireDecodeError)) throw error;
      group.malformedHandshakes++;
      return;
    }
    if (streamId === undefined || streamId === group.streamId) return;
    group.streamId = streamId;
    this.events.push({ type: 'group-stream', groupId: group.id, streamId });
  }

  private onKeepalive(link: ReceiverLink, bytes: Uint8Array): void {
    link.keepalives++;
    // A bare or timestamped keepalive (what BELABOX and most senders send) carries nothing to
    // read, and its echo is the same bytes, padded: written in a buffer its transmit slot keeps
    // (or, when long enough, the bytes themselves), so idle links' keepalives allocate nothing.
    if (!isExtendedKeepalive(bytes)) {
      this.echoPlainKeepalive(link, bytes);
      return;
    }
    let bondSender = false;
    try {
      const keepalive = decodeKeepalive(bytes);
      // Off the wire, from anyone: clamped to physical ranges before anything reads it.
      if (keepalive.info !== undefined) link.senderInfo = clampConnectionInfo(keepalive.info);
      if (keepalive.trailer?.body === 'sender') {
        const sender = keepalive.trailer.sender;
        if (sender.linkName !== link.senderTelemetry?.linkName) {
          const name = displayLinkName(sender.linkName);
          if (name !== link.name) {
            link.name = name;
            if (name !== undefined) {
              this.events.push({
                type: 'link-named',
                groupId: link.group.id,
                address: link.address,
                name,
              });
            }
          }
        }
        link.senderTelemetry = sender;
        bondSender = true;
      }
    } catch (error) {
      if (!(error instanceof WireDecodeError)) throw error;
      // A broken trailer loses its telemetry; the keepalive is still echoed.
    }
    const echo = encodeKeepaliveEcho(
      bytes,
      bondSender ? { body: 'receiver', receiver: link.report() } : undefined,
      { padTo: this.config.padRepliesTo },
    );
    this.queue(ReceiverTarget.Link, link.address, link.group.id, echo);
  }

  private echoPlainKeepalive(link: ReceiverLink, bytes: Uint8Array): void {
    const padTo = this.config.padRepliesTo;
    if (bytes.length >= padTo) {
      this.queue(ReceiverTarget.Link, link.address, link.group.id, bytes);
      return;
    }
    const slot = this.transmits.push();
    let echo = slot.echo;
    if (echo?.length !== padTo) {
      echo = new Uint8Array(padTo);
      slot.echo = echo;
    }
    echo.fill(0);
    echo.set(bytes);
    this.queue(ReceiverTarget.Link, link.address, link.group.id, echo, slot);
  }

  // ---------------------------------------------------------------- registration

  /**
   * REG1: answered with a cookie id and nothing kept (no group, no socket). Refused only for what
   * needs no state to know: a table full of groups that carried SRT, or an address that is a link
   * (other than the creator of a pending group, which a newer registration may replace).
   */
  private onReg1(now: number, from: Address, bytes: Uint8Array): void {
    this.reg1Received++;
    if (this.groups.size > this.config.maxGroups) {
      // The limit went down at run time: the groups above it stay, but none is added or evicted.
      this.refuse(
        from,
        `group table over its limit of ${this.config.maxGroups} (${this.groups.size} groups)`,
      );
      return;
    }
    if (this.groups.size === this.config.maxGroups && this.pendingGroups.size === 0) {
      this.refuse(from, 'group table full (no pending group to evict)');
      return;
    }
    const link = this.findLink(from);
    if (link !== undefined && !isReplaceable(link.group, from)) {
      this.refuse(from, 'REG1 from an address that is already a link');
      return;
    }
    // The REG2 answer is written in place, in a buffer its transmit slot keeps: a flood of REG1
    // (or a probe every few ms) allocates nothing here.
    const slot = this.transmits.push();
    const reply = (slot.reg2 ??= new Uint8Array(SRTLA_REG_LENGTH));
    reply[0] = SRTLA_TYPE.REG2 >>> 8;
    reply[1] = SRTLA_TYPE.REG2 & 0xff;
    // The sender's half, copied byte by byte (a subarray to `set` from would allocate).
    for (let i = 2; i < 2 + SRTLA_ID_HALF_LENGTH; i++) reply[i] = bytes[i] ?? 0;
    this.cookies.issue(now, reply, 2);
    this.queue(ReceiverTarget.Link, from, -1, reply, slot);
  }

  private onReg2(now: number, from: Address, bytes: Uint8Array): void {
    this.reg2Received++;
    // The id is read where it lies (bytes 2..257): no view of it is made unless a group is created.
    const idKey = groupIdKey(bytes, 2);
    let group = this.findGroupById(bytes, 2, idKey);
    if (group === undefined) {
      const verdict = this.cookies.verify(now, bytes, 2);
      if (verdict !== 'ok') {
        // Unknown to this receiver (forged, from before a restart, or a sender's probe), or
        // issued too long ago: "no such group, register again with REG1" (protocol.md 4.2).
        if (verdict === 'expired') this.reg2Expired++;
        else this.reg2Unverified++;
        this.regNgpSent++;
        this.queue(ReceiverTarget.Link, from, -1, this.replies.regNgp);
        return;
      }
      group = this.createGroup(now, from, bytes.slice(2), idKey, false);
      if (group === undefined) return;
    }
    const existing = this.findLink(from);
    if (existing !== undefined && existing.group !== group) {
      this.refuse(from, 'address is a link of another group');
      return;
    }
    if (existing === undefined) {
      if (group.links.length >= this.config.maxLinksPerGroup) {
        this.refuse(from, `group has its maximum of ${this.config.maxLinksPerGroup} links`);
        return;
      }
      if (this.links.has(from.key)) {
        // An IPv6 address whose hash key is taken by another address: cannot be told apart.
        this.refuse(from, 'address key collision');
        return;
      }
      if (!group.pending && group.links.length > 0 && !sharesNetwork(group, from)) {
        this.newNetworkJoins++;
        group.newNetworkJoins++;
        this.events.push({ type: 'link-from-new-network', groupId: group.id, address: from });
      }
      const link = new ReceiverLink(from, group, now);
      group.links.push(link);
      this.links.set(from.key, link);
      this.events.push({ type: 'link-added', groupId: group.id, address: from });
      this.logger.info('link added', { groupId: group.id, address: from.toString() });
    } else {
      existing.lastActivity = now;
    }
    group.lastActivity = now;
    this.queue(ReceiverTarget.Link, from, group.id, this.replies.reg3);
  }

  // ---------------------------------------------------------------- clustering (issue 14)

  /**
   * The index of the cluster node that issued `id` (256 bytes) when its MAC verifies under this
   * engine's cookie keys, whatever its age (0: an engine outside a cluster issued it); undefined
   * for a malformed or forged id.
   */
  nodeOf(id: Uint8Array): number | undefined {
    return this.cookies.nodeOf(id);
  }

  /**
   * Whether `id` would create a group by REG2 at `now`: it verifies and was issued within the
   * cookie lifetime by this engine's clock. A clustered node restarted under the same index (its
   * clock started anew) finds its predecessor's ids not fresh, and adopts their groups instead.
   */
  isFreshId(now: number, id: Uint8Array): boolean {
    return this.cookies.verify(now, id) === 'ok';
  }

  /** This engine's node index (0 outside a cluster). */
  get nodeIndex(): number {
    return this.cookies.nodeIndex;
  }

  /** Whether a group with exactly this id (256 bytes) is held. */
  hasGroup(id: Uint8Array): boolean {
    return (
      id.length === SRTLA_ID_LENGTH && this.findGroupById(id, 0, groupIdKey(id, 0)) !== undefined
    );
  }

  /** Whether `from` is a link of a held group. */
  hasLink(from: Address): boolean {
    return this.findLink(from) !== undefined;
  }

  /**
   * Adopts the group of `id`, whose REG2 came from `from`: a node of a cluster takes over a group
   * whose owner (the node that issued the id) is gone. The id must verify under the cluster's
   * keys; its age does not matter (the group lived on the old owner). The group is created pending,
   * as by a REG2 (and rationed the same way), with a `group-created` event marked `adopted`; the
   * REG2 itself is not handled here: pass it to {@link handleDatagram} next, which adds the link and
   * answers REG3. Returns the group's handle (an existing one's when the id is held already), or
   * undefined when the id does not verify or there is no room (a REG_ERR to `from` is queued then).
   */
  adoptGroup(now: number, id: Uint8Array, from: Address): number | undefined {
    this.armHousekeeping(now);
    if (this.cookies.nodeOf(id) === undefined) return undefined;
    const idKey = groupIdKey(id, 0);
    const existing = this.findGroupById(id, 0, idKey);
    if (existing !== undefined) return existing.id;
    return this.createGroup(now, from, id, idKey, true)?.id;
  }

  /**
   * Removes group `groupId` now, with its links (a cluster node whose group another node took
   * over): `group-removed` and `link-removed` events follow, so the upstream socket is closed.
   * False when there is no such group.
   */
  dropGroup(groupId: number, reason: string): boolean {
    const group = this.groups.get(groupId);
    if (group === undefined) return false;
    this.removeGroup(group, reason);
    return true;
  }

  /**
   * Creates the pending group of a verified id that REG2 brought from `from`, making room by the
   * per-source rules and the table limit; undefined (and REG_ERR sent) when there is none.
   */
  private createGroup(
    now: number,
    from: Address,
    id: Uint8Array,
    idKey: number,
    adopted: boolean,
  ): ReceiverGroup | undefined {
    const existing = this.findLink(from);
    if (existing !== undefined && !isReplaceable(existing.group, from)) {
      this.refuse(from, 'address is a link of another group');
      return undefined;
    }
    if (existing === undefined && this.links.has(from.key)) {
      // An IPv6 address whose hash key is taken by another address: it could be no link.
      this.refuse(from, 'address key collision');
      return undefined;
    }
    if (this.groups.size > this.config.maxGroups) {
      this.refuse(
        from,
        `group table over its limit of ${this.config.maxGroups} (${this.groups.size} groups)`,
      );
      return undefined;
    }
    // One pending group per address and port: a newer registration replaces the older one.
    if (existing !== undefined) {
      this.groupsEvicted++;
      this.removeGroup(existing.group, 'replaced by a newer registration from the same address');
    }
    // A few per IP: the oldest of that IP's pending groups makes room.
    const sameIp = this.pendingByIp.get(from.ip);
    if (sameIp !== undefined && sameIp.length >= this.config.maxPendingGroupsPerIp) {
      const oldest = sameIp[0];
      if (oldest !== undefined) {
        this.groupsEvicted++;
        this.removeGroup(
          oldest,
          `evicted: ${this.config.maxPendingGroupsPerIp} newer registrations from ${from.ip} are waiting for SRT`,
        );
      }
    }
    if (this.groups.size >= this.config.maxGroups && !this.evictOldestPendingGroup()) {
      this.refuse(from, 'group table full (no pending group to evict)');
      return undefined;
    }
    const group = new ReceiverGroup(
      this.nextGroupHandle++,
      id,
      idKey,
      now,
      this.makeForwardPath,
      this.config.evaluator,
      this.config.capabilities,
      from,
    );
    this.groups.set(group.id, group);
    const bucket = this.groupsByIdKey.get(idKey);
    if (bucket === undefined) this.groupsByIdKey.set(idKey, [group]);
    else bucket.push(group);
    this.pendingGroups.add(group);
    if (sameIp === undefined || sameIp.length === 0) this.pendingByIp.set(from.ip, [group]);
    else sameIp.push(group);
    this.groupsCreated++;
    this.events.push({
      type: 'group-created',
      groupId: group.id,
      address: from,
      id: group.groupId,
      adopted,
    });
    this.logger.info(adopted ? 'group adopted' : 'group created', {
      groupId: group.id,
      from: from.toString(),
    });
    return group;
  }

  /** The group's first SRT packet (of any kind): it is no longer pending. */
  private activate(group: ReceiverGroup): void {
    group.pending = false;
    this.forgetPending(group);
    this.events.push({ type: 'group-active', groupId: group.id });
    this.logger.info('group active', { groupId: group.id });
  }

  /** Takes `group` out of the pending tables (it carried SRT, or it is removed). */
  private forgetPending(group: ReceiverGroup): void {
    if (!this.pendingGroups.delete(group)) return;
    const ip = group.origin.ip;
    const sameIp = this.pendingByIp.get(ip);
    if (sameIp === undefined) return;
    const index = sameIp.indexOf(group);
    if (index >= 0) sameIp.splice(index, 1);
    if (sameIp.length === 0) this.pendingByIp.delete(ip);
  }

  private refuse(from: Address, reason: string): void {
    this.regErrSent++;
    this.events.push({ type: 'registration-refused', address: from, reason });
    this.logger.warn('registration refused', { from: from.toString(), reason });
    this.queue(ReceiverTarget.Link, from, -1, this.replies.regErr);
  }

  /** Evicts the oldest pending group; false when every group has carried SRT. */
  private evictOldestPendingGroup(): boolean {
    for (const group of this.pendingGroups) {
      this.groupsEvicted++;
      this.removeGroup(group, 'evicted: group table full and this group never carried SRT');
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- from the SRT listener

  /** A datagram from the SRT listener on group `groupId`'s upstream socket. */
  handleUpstreamDatagram(now: number, groupId: number, bytes: Uint8Array): void {
    this.armHousekeeping(now);
    const group = this.groups.get(groupId);
    const kind = classifyDatagram(bytes);
    if (
      group === undefined ||
      (kind !== DatagramKind.SrtControl && kind !== DatagramKind.SrtData)
    ) {
      this.droppedUpstream++;
      return;
    }
    group.packetsFromUpstream++;
    const type = kind === DatagramKind.SrtControl ? peekSrtControlType(bytes) : -1;
    if (type !== -1) group.feedback.fromListener(now, type, bytes);
    if (type === SRT_CONTROL.HANDSHAKE) this.onListenerHandshake(group, bytes);
    if (type === SRT_CONTROL.ACK || type === SRT_CONTROL.NAK) {
      // Every link: whichever still works carries the ACK or NAK back (protocol.md 6.5).
      for (const link of group.links) {
        group.packetsToSenders++;
        this.queue(ReceiverTarget.Link, link.address, group.id, bytes);
      }
      return;
    }
    // Handshakes, keepalives, shutdown: the last address only (broadcasting them broke Moblin).
    const last = group.lastAddress;
    if (last === undefined) {
      this.droppedUpstream++;
      return;
    }
    group.packetsToSenders++;
    this.queue(ReceiverTarget.Link, last.address, group.id, bytes);
  }

  /**
   * A handshake from the SRT listener on its way to the caller: a conclusion means the listener
   * accepted the stream; a rejection (1000 + reason) is reported once per group and code.
   */
  private onListenerHandshake(group: ReceiverGroup, bytes: Uint8Array): void {
    const handshakeType = peekSrtHandshakeType(bytes);
    if (handshakeType === undefined) return;
    if (handshakeType === SRT_HANDSHAKE_TYPE.CONCLUSION) {
      group.srtAccepted = true;
      group.rejection = undefined;
      group.upstreamRefusedAt = undefined;
      return;
    }
    if (!isHandshakeRejection(handshakeType)) return;
    group.rejections++;
    if (group.rejection === handshakeType) return;
    group.rejection = handshakeType;
    const counted =
      this.srtRejections.has(handshakeType) || this.srtRejections.size < REJECTION_CODES_COUNTED
        ? handshakeType
        : OTHER_REJECTION;
    this.srtRejections.set(counted, (this.srtRejections.get(counted) ?? 0) + 1);
    this.events.push({ type: 'srt-rejected', groupId: group.id, code: handshakeType });
    this.logger.debug('SRT listener answered with a handshake rejection', {
      groupId: group.id,
      handshakeType,
    });
  }

  /**
   * The SRT listener refused the group's datagrams (nothing listens on its port: ICMP port
   * unreachable). The group stays, so its stream resumes when the listener is back; a pending
   * group expires by its pending timeout, with this as the reason.
   */
  upstreamRefused(now: number, groupId: number): void {
    const group = this.groups.get(groupId);
    if (group !== undefined) group.upstreamRefusedAt = now;
  }

  /**
   * The group's upstream socket failed (for example the SRT listener is down). The group is
   * removed; its senders re-register when they notice, and get a fresh upstream socket.
   */
  upstreamFailed(_now: number, groupId: number, reason: string): void {
    const group = this.groups.get(groupId);
    if (group !== undefined) this.removeGroup(group, `upstream failed: ${reason}`);
  }

  // ---------------------------------------------------------------- time

  /** Expires links and groups and releases held datagrams due at `now`. */
  handleTimeout(now: number): void {
    if (this.forwardPathsHold) {
      for (const group of this.groups.values()) group.forwardPath.handleTimeout(now);
    }
    if (this.nextHousekeepingAt === undefined || now < this.nextHousekeepingAt) return;
    this.nextHousekeepingAt =
      this.groups.size > 0 ? now + this.config.housekeepingIntervalMs : undefined;
    const linkTimeoutMs = this.config.linkTimeoutMs;
    for (const group of [...this.groups.values()]) {
      // Links are copied for removal only when one timed out (every second, for every group).
      let expired = false;
      for (const link of group.links) {
        if (now - link.lastActivity >= linkTimeoutMs) expired = true;
        else link.sampleRate(now);
      }
      if (expired) {
        for (const link of [...group.links]) {
          if (now - link.lastActivity >= linkTimeoutMs) this.removeLink(link, 'timed out');
        }
      }
      group.sampleRate(now);
      group.evaluate(now);
      for (const link of group.links) {
        if (group.evaluator.level(link.address.key) === link.reportedLevel) continue;
        const score = group.evaluator.score(link.address.key);
        link.reportedLevel = score.level;
        this.events.push({
          type: 'link-quality',
          groupId: group.id,
          address: link.address,
          level: score.level,
          score: score.score,
          reason: score.reason,
        });
      }
      const idle = now - group.lastActivity;
      // A group that carried no SRT data yet (pending, or only handshakes so far) keeps the
      // pending timeout, as it did when data ended "pending".
      const pendingReason = Number.isFinite(group.lastDataAt)
        ? undefined
        : this.pendingExpiry(now, group, idle);
      if (pendingReason !== undefined) {
        this.removeGroup(group, pendingReason);
      } else if (idle >= this.config.groupTimeoutMs) {
        this.removeGroup(group, 'timed out');
      }
    }
  }

  /**
   * Why a group with no SRT data yet expires at `now`, or undefined while it may wait: it
   * was silent for the pending timeout, or its caller started SRT that long ago and the listener
   * has not accepted it (rejected, or never answered). A registered sender whose encoder has not
   * started yet stays while its links are alive.
   */
  private pendingExpiry(now: number, group: ReceiverGroup, idle: number): string | undefined {
    const timeout = this.config.pendingGroupTimeoutMs;
    if (idle >= timeout) return `no data within ${timeout / 1000} s (pending group timed out)`;
    if (group.srtAccepted || group.srtStartedAt === undefined) return undefined;
    if (now - group.srtStartedAt < timeout) return undefined;
    const rejection =
      group.rejection === undefined ? undefined : describeSrtRejection(group.rejection);
    if (rejection !== undefined) {
      return `the SRT server rejected the stream: ${rejection.words} (${rejection.code})`;
    }
    const within = `no SRT connection within ${timeout / 1000} s`;
    return group.upstreamRefusedAt === undefined
      ? `${within}: the SRT server did not accept the stream`
      : `${within}: nothing listens at the SRT server's address (refused)`;
  }

  /** The next instant `handleTimeout` must run, or undefined. */
  pollTimeout(): number | undefined {
    let next = this.nextHousekeepingAt;
    // The runtime asks after every batch: with pass-through forwarding nothing is ever held, so
    // there is no per-group deadline to look for.
    if (!this.forwardPathsHold) return next;
    for (const group of this.groups.values()) {
      const due = group.forwardPath.pollTimeout();
      if (due !== undefined && (next === undefined || due < next)) next = due;
    }
    return next;
  }

  private armHousekeeping(now: number): void {
    this.nextHousekeepingAt ??= now + this.config.housekeepingIntervalMs;
  }

  // ---------------------------------------------------------------- outputs

  /**
   * The next datagram to send, or undefined. The returned object is reused: read it now. Its bytes
   * stay valid until the next input (`handleDatagram`, `handleUpstreamDatagram`, `handleTimeout`,
   * `configure`): a REG2 answer's buffer is rewritten in place for a later one, and the fixed
   * replies are shared (read them, never write them).
   */
  pollTransmit(): ReceiverTransmit | undefined {
    return this.transmits.shift();
  }

  pollEvent(): ReceiverEvent | undefined {
    return this.events.shift();
  }

  // ---------------------------------------------------------------- configuration

  /**
   * Changes limits, timeouts or the forward path of a running engine. Every value is checked
   * before any is applied: an invalid one throws `InvalidConfigError` and changes nothing.
   *
   * Lower limits refuse new groups and links; groups and links already admitted stay. Timeouts
   * apply from the next housekeeping tick. A new forward path replaces every group's: the old one
   * releases what it holds (in order) first, so drain {@link pollTransmit} after this call.
   */
  configure(update: ReceiverReconfiguration): void {
    const config = this.config;
    const next = {
      maxLinksPerGroup: count('maxLinksPerGroup', update.maxLinksPerGroup, config.maxLinksPerGroup),
      maxGroups: count('maxGroups', update.maxGroups, config.maxGroups),
      linkTimeoutMs: duration('linkTimeoutMs', update.linkTimeoutMs, config.linkTimeoutMs),
      groupTimeoutMs: duration('groupTimeoutMs', update.groupTimeoutMs, config.groupTimeoutMs),
      pendingGroupTimeoutMs: duration(
        'pendingGroupTimeoutMs',
        update.pendingGroupTimeoutMs,
        config.pendingGroupTimeoutMs,
      ),
      maxPendingGroupsPerIp: count(
        'maxPendingGroupsPerIp',
        update.maxPendingGroupsPerIp,
        config.maxPendingGroupsPerIp,
      ),
    };
    const factory = update.forwardPath;
    Object.assign(config, next);
    if (factory === undefined || factory === this.forwardPathFactory) return;
    this.forwardPathFactory = factory;
    this.forwardPathsHold = factory !== createPassThroughForwardPath;
    config.capabilities = receiverCapabilities(this.forwardPathsHold);
    for (const group of this.groups.values()) {
      // At the end of time everything held is due: the old path releases all of it, in order.
      group.forwardPath.handleTimeout(Number.POSITIVE_INFINITY);
      group.forwardPath = this.makeForwardPath(group);
      group.capabilities = config.capabilities;
    }
  }

  /** The limits and timeouts in effect. */
  get limits(): ReceiverLimits {
    const {
      maxLinksPerGroup,
      maxGroups,
      linkTimeoutMs,
      groupTimeoutMs,
      pendingGroupTimeoutMs,
      maxPendingGroupsPerIp,
    } = this.config;
    return {
      maxLinksPerGroup,
      maxGroups,
      linkTimeoutMs,
      groupTimeoutMs,
      pendingGroupTimeoutMs,
      maxPendingGroupsPerIp,
    };
  }

  /**
   * Plain-data statistics for the runtime. With `groups` false, `groups` is empty: the counters
   * alone, for a reader that takes the groups one at a time ({@link forEachGroupStats}).
   */
  stats(now: number, groups = true): ReceiverStats {
    const all: ReceiverGroupStats[] = [];
    if (groups) this.forEachGroupStats(now, (group) => all.push(group));
    return {
      groups: all,
      reg1Received: this.reg1Received,
      reg2Received: this.reg2Received,
      regErrSent: this.regErrSent,
      regNgpSent: this.regNgpSent,
      groupsCreated: this.groupsCreated,
      groupsEvicted: this.groupsEvicted,
      reg2Expired: this.reg2Expired,
      reg2Unverified: this.reg2Unverified,
      pendingGroups: this.pendingGroups.size,
      pendingSourceIps: this.pendingByIp.size,
      newNetworkJoins: this.newNetworkJoins,
      droppedUnregistered: this.droppedUnregistered,
      droppedShort: this.droppedShort,
      droppedSrtla: this.droppedSrtla,
      droppedUpstream: this.droppedUpstream,
      srtRejections: [...this.srtRejections]
        .sort(([a], [b]) => a - b)
        .map(([code, streams]) => ({ code, streams })),
    };
  }

  /**
   * Each group's statistics, one at a time, in the order {@link stats} lists them. A reader that
   * is done with each before the next (a `/metrics` scrape of thousands of groups) leaves only
   * short-lived objects, where one array of every group's statistics outlives young collections
   * and is promoted. `visit` must not change the engine.
   */
  forEachGroupStats(now: number, visit: (group: ReceiverGroupStats) => void): void {
    for (const group of this.groups.values()) visit(group.stats(now));
  }

  /** How many groups and links are held (for tests and limits). */
  get size(): { groups: number; links: number } {
    return { groups: this.groups.size, links: this.links.size };
  }

  // ---------------------------------------------------------------- internals

  /** A group's forward path on the current factory, emitting to the group's upstream socket. */
  private readonly makeForwardPath = (group: ReceiverGroup) =>
    this.forwardPathFactory((datagram) => {
      this.queue(ReceiverTarget.Upstream, undefined, group.id, datagram);
    }, group);

  /** The link of exactly `from`: a key hit counts only when the full address is equal. */
  private findLink(from: Address): ReceiverLink | undefined {
    const link = this.links.get(from.key);
    return link?.address.equals(from) === true ? link : undefined;
  }

  /** The group whose id is the 256 bytes at `bytes[offset]`, found by `idKey` then compared whole. */
  private findGroupById(
    bytes: Uint8Array,
    offset: number,
    idKey: number,
  ): ReceiverGroup | undefined {
    const bucket = this.groupsByIdKey.get(idKey);
    if (bucket === undefined) return undefined;
    for (const group of bucket)
      if (constantTimeEqual(group.groupId, bytes, SRTLA_ID_LENGTH, offset)) return group;
    return undefined;
  }

  private removeLink(link: ReceiverLink, reason: string): void {
    const group = link.group;
    const index = group.links.indexOf(link);
    if (index >= 0) group.links.splice(index, 1);
    group.evaluator.remove(link.address.key);
    if (this.links.get(link.address.key) === link) this.links.delete(link.address.key);
    if (group.lastAddress === link) group.lastAddress = group.links[group.links.length - 1];
    this.events.push({
      type: 'link-removed',
      groupId: group.id,
      address: link.address,
      ...(link.name === undefined ? {} : { name: link.name }),
      reason,
    });
    this.logger.info('link removed', {
      groupId: group.id,
      address: link.address.toString(),
      reason,
    });
  }

  private removeGroup(group: ReceiverGroup, reason: string): void {
    for (const link of [...group.links]) this.removeLink(link, `group removed: ${reason}`);
    this.groups.delete(group.id);
    this.forgetPending(group);
    const bucket = this.groupsByIdKey.get(group.idKey);
    if (bucket !== undefined) {
      const remaining = bucket.filter((each) => each !== group);
      if (remaining.length === 0) this.groupsByIdKey.delete(group.idKey);
      else this.groupsByIdKey.set(group.idKey, remaining);
    }
    this.events.push({ type: 'group-removed', groupId: group.id, reason });
    this.logger.info('group removed', { groupId: group.id, reason });
  }

  /**
   * Queues a transmit, in `slot` when the caller has written `bytes` into a buffer that slot keeps
   * (REG2 answers, keepalive echoes, SRTLA ACKs), else in the next free slot.
   */
  private queue(
    target: ReceiverTarget,
    address: Address | undefined,
    groupId: number,
    bytes: Uint8Array,
    slot: TransmitSlot = this.transmits.push(),
  ): void {
    slot.target = target;
    slot.address = address;
    slot.groupId = groupId;
    slot.bytes = bytes;
  }
}

/**
 * A numeric key from 30 bits of the MAC of the group id at `bytes[offset]` (uniformly random for
 * ids this engine issued; a bucket holds every group of a key, compared whole). 30 bits keep it a
 * small integer, which a lookup uses without allocating (a larger number is boxed per REG2).
 */
function groupIdKey(bytes: Uint8Array, offset: number): number {
  const o = offset + COOKIE_MAC_OFFSET;
  return (
    (((bytes[o] ?? 0) & 0x3f) << 24) |
    ((bytes[o + 1] ?? 0) << 16) |
    ((bytes[o + 2] ?? 0) << 8) |
    (bytes[o + 3] ?? 0)
  );
}

/** A pending group whose creator is `from`: a newer registration from `from` replaces it. */
function isReplaceable(group: ReceiverGroup, from: Address): boolean {
  return group.pending && group.origin.equals(from);
}

/**
 * Whether `from` is in the network of one of the group's links: the same /16 for IPv4, the same
 * /48 for IPv6 (a carrier's or an ISP's block, roughly). Another family never matches.
 */
function sharesNetwork(group: ReceiverGroup, from: Address): boolean {
  for (const link of group.links) {
    const other = link.address;
    if (other.family !== from.family) continue;
    if (from.family === 4) {
      if (other.words[0] >>> 16 === from.words[0] >>> 16) return true;
    } else if (other.words[0] === from.words[0] && other.words[1] >>> 16 === from.words[1] >>> 16) {
      return true;
    }
  }
  return false;
}

/** The ReceiverReport capability bits: the evaluator always, reordering when a path can hold. */
function receiverCapabilities(forwardPathsHold: boolean): number {
  return RECEIVER_CAPABILITY.EVALUATOR | (forwardPathsHold ? RECEIVER_CAPABILITY.REORDER : 0);
}

function checkCluster(cluster: { readonly cookieKeys: Uint8Array; readonly nodeIndex: number }) {
  const keys = cluster.cookieKeys as unknown;
  if (!(keys instanceof Uint8Array) || keys.length !== COOKIE_KEYS_LENGTH) {
    throw new InvalidConfigError(
      `cluster.cookieKeys must be ${COOKIE_KEYS_LENGTH} bytes (a Uint8Array), got ${
        keys instanceof Uint8Array ? `${keys.length} bytes` : typeof keys
      }`,
    );
  }
  const index = cluster.nodeIndex;
  if (!(Number.isInteger(index) && index >= 0 && index <= MAX_COOKIE_NODE_INDEX)) {
    throw new InvalidConfigError(
      `cluster.nodeIndex must be a whole number 0..${MAX_COOKIE_NODE_INDEX}, got ${index}`,
    );
  }
}

const EVALUATOR_MODES: readonly string[] = ['bond', 'compat-legacy', 'compat-telemetry'];

function evaluatorMode(mode: EvaluatorMode | undefined): EvaluatorMode {
  if (mode === undefined) return 'bond';
  // Checked at run time too: JavaScript callers and config files can pass anything.
  if (EVALUATOR_MODES.includes(mode)) return mode;
  throw new InvalidConfigError(
    `evaluator must be 'bond', 'compat-legacy' or 'compat-telemetry', got ${mode}`,
  );
}

function count(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isInteger(value) && value >= 1)) {
    throw new InvalidConfigError(`${name} must be a whole number of at least 1, got ${value}`);
  }
  return value;
}

function duration(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0)) {
    throw new InvalidConfigError(`${name} must be a positive number of milliseconds, got ${value}`);
  }
  return value;
}
