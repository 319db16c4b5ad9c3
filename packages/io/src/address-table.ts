/**
 * One {@link Address} object per source, found again from a receive row without allocating: the
 * single place bond interns addresses, so a per-datagram path hands every layer the same object
 * for the same source and builds no string or object per datagram.
 *
 * Rows are found by `@bond/wire`'s numeric key (`addressKey`); a hit is confirmed against the
 * row's full address, because two IPv6 addresses may share a key (they then share a chain). The
 * table is bounded: past `limit` sources it starts afresh (addresses handed out stay valid values;
 * a source seen again gets a new, equal object), so a flood from many addresses cannot grow it
 * without bound.
 */
import { Address, IPV6_KEY_BASE, addressKey } from '@bond/wire';
import {
  META_ADDRESS,
  META_FAMILY,
  META_PORT,
  META_STRIDE,
  type ReceiveBatch,
} from './receive-batch.js';

/** 65536: distinct sources remembered before the table starts afresh. */
export const DEFAULT_ADDRESS_TABLE_LIMIT = 65536;

/** The recent-source cache in front of the maps: 2^6 = 64 entries. */
const RECENT_BITS = 6;
const RECENT_SIZE = 1 << RECENT_BITS;

export class AddressTable {
  /** IPv4 sources by their exact key. */
  private readonly exact = new Map<number, Address>();
  /** IPv6 sources by hashed key; more than one only when keys collide. */
  private readonly hashed = new Map<number, Address[]>();
  private count = 0;
  /**
   * The sources seen lately, direct-mapped by a hash of the row's words and port, each confirmed
   * against the whole row before it is used: a link's datagrams find their object without the
   * numeric key (an IPv4 key is above the small-integer range, so computing it and looking it up
   * boxed a number per datagram: 16 bytes, about a megabyte a second at 60k pps). Only the
   * table's own objects are kept here; a hash that collides costs a miss, never a wrong answer.
   */
  private readonly recent: (Address | undefined)[] = new Array<Address | undefined>(
    RECENT_SIZE,
  ).fill(undefined);

  constructor(private readonly limit = DEFAULT_ADDRESS_TABLE_LIMIT) {}

  /** How many sources are remembered. */
  get size(): number {
    return this.count;
  }

  /** The source of datagram `i` of `batch`: the remembered object when seen before. */
  fromRow(batch: ReceiveBatch, i: number): Address {
    const meta = batch.meta;
    const row = i * META_STRIDE;
    // A multiplicative hash of the address's first and last words and the port; the top bits
    // index the cache, so every bit of the address and port moves the slot.
    const mix = Math.imul(
      (meta[row + META_ADDRESS] ?? 0) ^
        (meta[row + META_ADDRESS + 3] ?? 0) ^
        ((meta[row + META_PORT] ?? 0) << 16) ^
        (meta[row + META_PORT] ?? 0),
      0x9e3779b1,
    );
    const slot = mix >>> (32 - RECENT_BITS);
    const recent = this.recent[slot];
    if (recent !== undefined && batch.isFrom(i, recent)) return recent;
    const found = this.lookUp(batch, i);
    this.recent[slot] = found;
    return found;
  }

  private lookUp(batch: ReceiveBatch, i: number): Address {
    const meta = batch.meta;
    const row = i * META_STRIDE;
    const family = meta[row + META_FAMILY] === 6 ? 6 : 4;
    const key = addressKey(
      family,
      meta[row + META_ADDRESS] ?? 0,
      meta[row + META_ADDRESS + 1] ?? 0,
      meta[row + META_ADDRESS + 2] ?? 0,
      meta[row + META_ADDRESS + 3] ?? 0,
      meta[row + META_PORT] ?? 0,
    );
    if (key < IPV6_KEY_BASE) {
      const known = this.exact.get(key);
      if (known !== undefined) return known;
      const address = this.remember(batch, i);
      this.exact.set(key, address);
      return address;
    }
    const chain = this.hashed.get(key);
    if (chain !== undefined) {
      for (const known of chain) if (batch.isFrom(i, known)) return known;
    }
    const address = this.remember(batch, i);
    if (chain === undefined) this.hashed.set(key, [address]);
    else chain.push(address);
    return address;
  }

  private remember(batch: ReceiveBatch, i: number): Address {
    if (this.count >= this.limit) {
      this.exact.clear();
      this.hashed.clear();
      this.recent.fill(undefined);
      this.count = 0;
    }
    this.count++;
    return batch.source(i);
  }
}
