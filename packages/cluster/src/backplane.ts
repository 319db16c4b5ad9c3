/**
 * The backplane between cluster nodes (issue 14): UDP datagrams through `@bond/io` sockets, each
 * carrying one datagram of a sender's link with its original source, authenticated under the
 * cluster's backplane key.
 *
 * Layout (v1), big-endian:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | magic `BNDB` |
 * | 4 | 1 | version, 1 |
 * | 5 | 1 | type: 1 to the owner (from a link), 2 a reply to the link |
 * | 6 | 2 | sending node's index |
 * | 8 | 4 | sender's clock, whole seconds since the epoch (mod 2^32) |
 * | 12 | 1 | the link's address family, 4 or 6 |
 * | 13 | 2 | the link's port |
 * | 15 | 16 | the link's address (IPv4 in the first 4 bytes) |
 * | 31 | n | the link's datagram |
 * | 31 + n | 16 | tag: HMAC-SHA256 under the backplane key over everything before it, truncated |
 *
 * A datagram that is too short, has another magic, version or type, comes from a node index the
 * coordinator does not know as live, is more than {@link MAX_CLOCK_SKEW_S} off the receiver's
 * clock, or whose tag does not verify is dropped and counted by reason; nothing of it is parsed
 * further.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { createReceiveBatch, type BatchSocket, type IoBackend, type ReceiveBatch } from '@bond/io';
import { Address, addressKey } from '@bond/wire';

export const BACKPLANE_MAGIC = 0x424e4442; // "BNDB"
export const BACKPLANE_VERSION = 1;
/** A datagram from a link, on its way to the group's owner. */
export const TO_OWNER = 1;
/** A reply of the owner, on its way to the link through the node that heard the link. */
export const REPLY_TO_LINK = 2;
export const BACKPLANE_HEADER_LENGTH = 31;
export const BACKPLANE_TAG_LENGTH = 16;
/** Seconds a datagram's time may be off the receiving node's clock. */
export const MAX_CLOCK_SKEW_S = 60;

/** Why a backplane datagram was dropped. */
export type BackplaneRejection =
  'length' | 'magic' | 'version' | 'type' | 'family' | 'node' | 'time' | 'tag';

export const BACKPLANE_REJECTIONS: readonly BackplaneRejection[] = [
  'length',
  'magic',
  'version',
  'type',
  'family',
  'node',
  'time',
  'tag',
];

/** One accepted datagram, valid during the handler call only. */
export interface BackplaneMessage {
  readonly type: typeof TO_OWNER | typeof REPLY_TO_LINK;
  /** The node that sent it. */
  readonly node: number;
  /** The link the payload came from (TO_OWNER) or goes to (REPLY_TO_LINK). */
  readonly link: Address;
  readonly payload: Uint8Array;
}

export interface BackplaneOptions {
  readonly io: IoBackend;
  /** Local address to bind, an IP literal. */
  readonly address: string;
  /** Local port; 0 lets the system choose. */
  readonly port?: number;
  /** `SO_RCVBUF` request. Default 8 MiB (forwarded streams arrive in bursts). */
  readonly receiveBufferSize?: number;
}

export interface BackplaneCounters {
  sent: number;
  received: number;
  rejected: Record<BackplaneRejection, number>;
}

/** Wall-clock seconds (mod 2^32): backplane times compare across hosts. */
export type WallClockSeconds = () => number;

const defaultSeconds: WallClockSeconds = () => Math.floor(Date.now() / 1000) >>> 0;

/** The bound backplane socket; {@link Backplane.start} gives it the key and the handlers. */
export class Backplane {
  readonly counters: BackplaneCounters = {
    sent: 0,
    received: 0,
    rejected: { length: 0, magic: 0, version: 0, type: 0, family: 0, node: 0, time: 0, tag: 0 },
  };
  /** The backplane key as a KeyObject: HMAC with it costs about half of one with raw bytes. */
  private key: KeyObject | undefined;
  private nodeIndex = 0;
  private isKnown: (index: number) => boolean = () => false;
  private onMessage: ((message: BackplaneMessage) => void) | undefined;
  private onBatchEnd: (() => void) | undefined;
  private seconds: WallClockSeconds = defaultSeconds;
  /** One header buffer reused for every send. */
  private readonly out = new Uint8Array(BACKPLANE_HEADER_LENGTH + 65_536 + BACKPLANE_TAG_LENGTH);
  private readonly outView = new DataView(this.out.buffer);
  /** Link addresses by key: one object per link, not one per datagram. */
  private readonly links = new Map<number, Address>();

  private constructor(private readonly socket: BatchSocket) {}

  /** Binds the backplane socket; it drops everything until {@link start}. */
  static async open(options: BackplaneOptions): Promise<Backplane> {
    const batch = createReceiveBatch({ maxBatch: 64, slotSize: 2048 });
    const holder: { self?: Backplane } = {};
    const socket = await options.io.open({
      address: options.address,
      port: options.port ?? 0,
      batch,
      receiveBufferSize: options.receiveBufferSize ?? 8 * 1024 * 1024,
      onBatch: (received, count) => {
        holder.self?.receive(received, count);
      },
    });
    const self = new Backplane(socket);
    holder.self = self;
    return self;
  }

  /** The bound address (`host:port` of it is what other nodes send to). */
  get local(): Address {
    return this.socket.local;
  }

  /**
   * Starts accepting: `key` authenticates both ways, `nodeIndex` is written into every datagram
   * sent, `isKnown` says whether a sending node index is live, `onMessage` gets each accepted
   * datagram and `onBatchEnd` runs after each received batch.
   */
  start(options: {
    readonly key: Uint8Array;
    readonly nodeIndex: number;
    readonly isKnown: (index: number) => boolean;
    readonly onMessage: (message: BackplaneMessage) => void;
    readonly onBatchEnd?: () => void;
    readonly seconds?: WallClockSeconds;
  }): void {
    this.key = createSecretKey(options.key);
    this.nodeIndex = options.nodeIndex;
    this.isKnown = options.isKnown;
    this.onMessage = options.onMessage;
    this.onBatchEnd = options.onBatchEnd;
    if (options.seconds !== undefined) this.seconds = options.seconds;
  }

  /** Sends `payload` of `link` to the node at `to`. */
  send(
    to: Address,
    type: typeof TO_OWNER | typeof REPLY_TO_LINK,
    link: Address,
    payload: Uint8Array,
  ) {
    const key = this.key;
    if (key === undefined) return;
    const length = encodeBackplane(
      this.out,
      this.outView,
      key,
      type,
      this.nodeIndex,
      this.seconds(),
      link,
      payload,
    );
    this.socket.send(this.out.subarray(0, length), to);
    this.counters.sent++;
  }

  close(): Promise<void> {
    this.onMessage = undefined;
    return this.socket.close();
  }

  private receive(batch: ReceiveBatch, count: number): void {
    const key = this.key;
    const onMessage = this.onMessage;
    if (key === undefined || onMessage === undefined) return;
    const slab = batch.slab;
    const now = this.seconds();
    for (let i = 0; i < count; i++) {
      const offset = batch.offset(i);
      const bytes = slab.subarray(offset, offset + batch.length(i));
      const verdict = checkBackplane(bytes, key, now, this.isKnown);
      if (verdict !== undefined) {
        this.counters.rejected[verdict]++;
        continue;
      }
      this.counters.received++;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      onMessage({
        type: bytes[5] as typeof TO_OWNER | typeof REPLY_TO_LINK,
        node: view.getUint16(6),
        link: this.linkOf(view),
        payload: bytes.subarray(BACKPLANE_HEADER_LENGTH, bytes.length - BACKPLANE_TAG_LENGTH),
      });
    }
    this.onBatchEnd?.();
  }

  private linkOf(view: DataView): Address {
    const family = view.getUint8(12) === 6 ? 6 : 4;
    const port = view.getUint16(13);
    const w0 = view.getUint32(15);
    const w1 = view.getUint32(19);
    const w2 = view.getUint32(23);
    const w3 = view.getUint32(27);
    const key = addressKey(family, w0, w1, w2, w3, port);
    const known = this.links.get(key);
    if (
      known?.port === port &&
      known.words[0] === w0 &&
      known.words[1] === w1 &&
      known.words[2] === w2 &&
      known.words[3] === w3
    ) {
      return known;
    }
    const address = Address.fromWords(family, w0, w1, w2, w3, port);
    if (this.links.size >= 65_536) this.links.clear();
    this.links.set(key, address);
    return address;
  }
}

/** Writes one backplane datagram into `out`; returns its length. */
export function encodeBackplane(
  out: Uint8Array,
  view: DataView,
  key: Uint8Array | KeyObject,
  type: number,
  node: number,
  seconds: number,
  link: Address,
  payload: Uint8Array,
): number {
  view.setUint32(0, BACKPLANE_MAGIC);
  out[4] = BACKPLANE_VERSION;
  out[5] = type;
  view.setUint16(6, node);
  view.setUint32(8, seconds >>> 0);
  out[12] = link.family;
  view.setUint16(13, link.port);
  view.setUint32(15, link.words[0]);
  view.setUint32(19, link.words[1]);
  view.setUint32(23, link.words[2]);
  view.setUint32(27, link.words[3]);
  out.set(payload, BACKPLANE_HEADER_LENGTH);
  const end = BACKPLANE_HEADER_LENGTH + payload.length;
  const tag = createHmac('sha256', key).update(out.subarray(0, end)).digest();
  out.set(tag.subarray(0, BACKPLANE_TAG_LENGTH), end);
  return end + BACKPLANE_TAG_LENGTH;
}

/** Why `bytes` is not an acceptable backplane datagram at `now` (seconds), or undefined. */
export function checkBackplane(
  bytes: Uint8Array,
  key: Uint8Array | KeyObject,
  now: number,
  isKnown: (index: number) => boolean,
): BackplaneRejection | undefined {
  if (bytes.length < BACKPLANE_HEADER_LENGTH + BACKPLANE_TAG_LENGTH) return 'length';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== BACKPLANE_MAGIC) return 'magic';
  if (bytes[4] !== BACKPLANE_VERSION) return 'version';
  const type = bytes[5];
  if (type !== TO_OWNER && type !== REPLY_TO_LINK) return 'type';
  const family = bytes[12];
  if (family !== 4 && family !== 6) return 'family';
  if (!isKnown(view.getUint16(6))) return 'node';
  const skew = (now - view.getUint32(8)) | 0; // wraps with the u32 clock
  if (skew > MAX_CLOCK_SKEW_S || skew < -MAX_CLOCK_SKEW_S) return 'time';
  const end = bytes.length - BACKPLANE_TAG_LENGTH;
  const tag = createHmac('sha256', key).update(bytes.subarray(0, end)).digest();
  return timingSafeEqual(tag.subarray(0, BACKPLANE_TAG_LENGTH), bytes.subarray(end))
    ? undefined
    : 'tag';
}
