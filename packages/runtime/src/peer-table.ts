/**
 * Turns the rows of a receive batch into core's {@link PeerAddress} objects without building a
 * string or an object per datagram: one entry per source address and port, created on first sight
 * and found again by a numeric key (IPv4: `address * 65536 + port`, the same exact key core uses;
 * IPv6: a hash over the four address words and the port, confirmed against the row).
 *
 * Each entry also carries the `@bond/io` endpoint to send replies to, so a transmit's address goes
 * back to the socket without parsing. The table is bounded: past `limit` entries it starts afresh
 * (entries still held by core stay valid objects), so a flood of REG1 from many addresses cannot
 * grow it without bound.
 */
import { parsePeerAddress, type PeerAddress } from '@bond/core';
import {
  META_ADDRESS,
  META_FAMILY,
  META_PORT,
  META_STRIDE,
  createEndpoint,
  type Endpoint,
  type ReceiveBatch,
} from '@bond/io';

/** A peer as core sees it, plus the endpoint replies go to. */
export class PeerEntry implements PeerAddress {
  readonly key: number;
  readonly family: 4 | 6;
  readonly ip: string;
  readonly port: number;
  constructor(
    peer: PeerAddress,
    readonly endpoint: Endpoint,
  ) {
    this.key = peer.key;
    this.family = peer.family;
    this.ip = peer.ip;
    this.port = peer.port;
  }
}

/** 65536: distinct senders remembered before the table starts afresh. */
export const DEFAULT_PEER_LIMIT = 65536;

export class PeerTable {
  private readonly ipv4 = new Map<number, PeerEntry>();
  private readonly ipv6 = new Map<number, PeerEntry[]>();
  private count = 0;

  constructor(private readonly limit = DEFAULT_PEER_LIMIT) {}

  /** How many peers are remembered. */
  get size(): number {
    return this.count;
  }

  /** The peer of datagram `i` of `batch` (a remembered object when seen before). */
  fromRow(batch: ReceiveBatch, i: number): PeerAddress {
    const meta = batch.meta;
    const row = i * META_STRIDE;
    const port = meta[row + META_PORT] ?? 0;
    const w0 = meta[row + META_ADDRESS] ?? 0;
    if (meta[row + META_FAMILY] !== 6) {
      const key = w0 * 65536 + port;
      const known = this.ipv4.get(key);
      if (known !== undefined) return known;
      const entry = this.create(batch, i);
      this.ipv4.set(key, entry);
      return entry;
    }
    const hash = hashIpv6(
      w0,
      meta[row + META_ADDRESS + 1] ?? 0,
      meta[row + META_ADDRESS + 2] ?? 0,
      meta[row + META_ADDRESS + 3] ?? 0,
      port,
    );
    const chain = this.ipv6.get(hash);
    if (chain !== undefined) {
      for (const entry of chain) if (batch.isFrom(i, entry.endpoint)) return entry;
    }
    const entry = this.create(batch, i);
    if (chain === undefined) this.ipv6.set(hash, [entry]);
    else chain.push(entry);
    return entry;
  }

  /** The endpoint to send to `peer`. */
  endpointOf(peer: PeerAddress): Endpoint {
    return peer instanceof PeerEntry ? peer.endpoint : createEndpoint(peer.ip, peer.port);
  }

  private create(batch: ReceiveBatch, i: number): PeerEntry {
    if (this.count >= this.limit) {
      this.ipv4.clear();
      this.ipv6.clear();
      this.count = 0;
    }
    const endpoint = batch.source(i);
    const peer = parsePeerAddress(endpoint.address, endpoint.port);
    // An endpoint from a receive row is always a valid literal; this only satisfies the types.
    if (peer === undefined) throw new Error(`unparsable source address ${endpoint.address}`);
    this.count++;
    return new PeerEntry(peer, endpoint);
  }
}

/** FNV-1a over the address words and port: a table key only, confirmed against the row. */
function hashIpv6(w0: number, w1: number, w2: number, w3: number, port: number): number {
  let hash = 0x811c9dc5;
  hash = Math.imul(hash ^ w0, 0x01000193);
  hash = Math.imul(hash ^ w1, 0x01000193);
  hash = Math.imul(hash ^ w2, 0x01000193);
  hash = Math.imul(hash ^ w3, 0x01000193);
  hash = Math.imul(hash ^ port, 0x01000193);
  return hash >>> 0;
}
