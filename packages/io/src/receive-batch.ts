/**
 * The caller-owned receive memory: one slab of `maxBatch` slots of `slotSize` bytes, and a metadata
 * table with one row per slot.
 *
 * A backend fills up to `maxBatch` rows and calls the socket's `onBatch(batch, count)` once. Rows
 * `0..count-1` are valid only during that call: copy what must outlive it. One batch may serve many
 * sockets on the same thread, because each callback runs to completion before the next fill.
 *
 * Metadata row layout (`Uint32Array`, {@link META_STRIDE} words per datagram):
 *
 * ```
 * word  0        1        2         3      4..7
 *      +--------+--------+---------+------+-----------------------------+
 *      | offset | length | family  | port | address, 4 big-endian words |
 *      +--------+--------+---------+------+-----------------------------+
 * offset, length: bytes of the datagram in `slab`;  family: 4 or 6;
 * address: IPv4 in word 4 (others 0), IPv6 in network order; IPv4-mapped IPv6 is reported as IPv4.
 * ```
 *
 * Native backends write these rows directly, so the layout is part of the binding contract.
 */
import { Address, type AddressFamily } from '@bond/wire';
import { IoArgumentError } from './errors.js';

/** Words per metadata row. */
export const META_STRIDE = 8;
/** Word offsets inside a metadata row. */
export const META_OFFSET = 0;
export const META_LENGTH = 1;
export const META_FAMILY = 2;
export const META_PORT = 3;
export const META_ADDRESS = 4;

/** 65535: the largest UDP payload any family can carry, so the largest useful slot. */
export const MAX_SLOT_SIZE = 65535;
/** 1024: Linux's UIO_MAXIOV, the most messages one recvmmsg/sendmmsg call takes. */
export const MAX_BATCH_LIMIT = 1024;

export interface ReceiveBatchOptions {
  /** Datagrams per batch (slots). Default 64; at most {@link MAX_BATCH_LIMIT}. */
  maxBatch?: number;
  /**
   * Bytes per slot: the largest datagram accepted. Longer datagrams are dropped and counted as
   * `truncated` where the backend can tell (Apple's batched receive cannot: size slots for the
   * largest datagram you expect). Default 2048 (SRT/SRTLA datagrams are at most 1500 bytes).
   */
  slotSize?: number;
}

/** Receive memory owned by the caller and filled by a socket's backend. */
export class ReceiveBatch {
  readonly maxBatch: number;
  readonly slotSize: number;
  /** `maxBatch * slotSize` bytes; slot `i` starts at `i * slotSize`. */
  readonly slab: Uint8Array;
  /** `maxBatch * META_STRIDE` words; see the layout above. */
  readonly meta: Uint32Array;
  /** {@link view}'s views: two per row, the newer first. */
  private readonly views: (Uint8Array | undefined)[];

  constructor(options: ReceiveBatchOptions = {}) {
    const maxBatch = options.maxBatch ?? 64;
    const slotSize = options.slotSize ?? 2048;
    if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > MAX_BATCH_LIMIT) {
      throw new IoArgumentError(
        `maxBatch must be an integer 1..${MAX_BATCH_LIMIT}, got ${maxBatch}`,
      );
    }
    if (!Number.isInteger(slotSize) || slotSize < 1 || slotSize > MAX_SLOT_SIZE) {
      throw new IoArgumentError(`slotSize must be an integer 1..${MAX_SLOT_SIZE}, got ${slotSize}`);
    }
    this.maxBatch = maxBatch;
    this.slotSize = slotSize;
    this.slab = new Uint8Array(maxBatch * slotSize);
    this.meta = new Uint32Array(maxBatch * META_STRIDE);
    this.views = new Array<Uint8Array | undefined>(maxBatch * 2).fill(undefined);
  }

  /** Byte offset of datagram `i` in `slab`. */
  offset(i: number): number {
    return this.meta[i * META_STRIDE + META_OFFSET] ?? 0;
  }

  /** Length in bytes of datagram `i`. */
  length(i: number): number {
    return this.meta[i * META_STRIDE + META_LENGTH] ?? 0;
  }

  /** Source port of datagram `i`. */
  port(i: number): number {
    return this.meta[i * META_STRIDE + META_PORT] ?? 0;
  }

  /** Source address family of datagram `i`. */
  family(i: number): AddressFamily {
    return this.meta[i * META_STRIDE + META_FAMILY] === 6 ? 6 : 4;
  }

  /** A view of datagram `i` (no copy; valid only during the callback). Allocates a view object. */
  datagram(i: number): Uint8Array {
    const offset = this.offset(i);
    return this.slab.subarray(offset, offset + this.length(i));
  }

  /**
   * A view of datagram `i`, like {@link datagram}, but reused: row `i` keeps its last two views,
   * and one whose offset and length match is returned again instead of a new one. Datagrams of a
   * few sizes (a stream's data and ACKs, a flood of REG1) then cost no object each. The bytes
   * are only valid during the callback (a later batch rewrites them), as with `datagram`; a caller
   * that keeps them copies them. Do not rely on the object's identity.
   */
  view(i: number): Uint8Array {
    const offset = this.offset(i);
    const length = this.length(i);
    const views = this.views;
    const first = views[i * 2];
    if (first?.byteOffset === offset && first.length === length) return first;
    const second = views[i * 2 + 1];
    if (second?.byteOffset === offset && second.length === length) {
      views[i * 2 + 1] = first;
      views[i * 2] = second;
      return second;
    }
    const view = this.slab.subarray(offset, offset + length);
    views[i * 2 + 1] = first;
    views[i * 2] = view;
    return view;
  }

  /** Whether datagram `i` came from `address` (the full address), without allocating. */
  isFrom(i: number, address: Address): boolean {
    const row = i * META_STRIDE;
    const m = this.meta;
    const w = address.words;
    return (
      m[row + META_PORT] === address.port &&
      m[row + META_FAMILY] === address.family &&
      m[row + META_ADDRESS] === w[0] &&
      m[row + META_ADDRESS + 1] === w[1] &&
      m[row + META_ADDRESS + 2] === w[2] &&
      m[row + META_ADDRESS + 3] === w[3]
    );
  }

  /**
   * The source of datagram `i` as a new {@link Address}. Allocates: on a per-datagram path use an
   * `AddressTable`, which returns one object per source.
   */
  source(i: number): Address {
    const row = i * META_STRIDE;
    const m = this.meta;
    return Address.fromWords(
      this.family(i),
      m[row + META_ADDRESS] ?? 0,
      m[row + META_ADDRESS + 1] ?? 0,
      m[row + META_ADDRESS + 2] ?? 0,
      m[row + META_ADDRESS + 3] ?? 0,
      this.port(i),
    );
  }
}

/** Allocates receive memory for one or more sockets. */
export function createReceiveBatch(options: ReceiveBatchOptions = {}): ReceiveBatch {
  return new ReceiveBatch(options);
}

/** Writes one metadata row (used by the JavaScript backends; native backends write rows in C). */
export function writeMetaRow(
  meta: Uint32Array,
  i: number,
  offset: number,
  length: number,
  source: Address,
): void {
  const row = i * META_STRIDE;
  meta[row + META_OFFSET] = offset;
  meta[row + META_LENGTH] = length;
  meta[row + META_FAMILY] = source.family;
  meta[row + META_PORT] = source.port;
  meta[row + META_ADDRESS] = source.words[0];
  meta[row + META_ADDRESS + 1] = source.words[1];
  meta[row + META_ADDRESS + 2] = source.words[2];
  meta[row + META_ADDRESS + 3] = source.words[3];
}
