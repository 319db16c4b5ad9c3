/**
 * Addresses: one IP address and UDP port, the identity of an SRTLA link (protocol.md 4.2 and 7:
 * identity is the exact source IP and port).
 *
 * An {@link Address} is an immutable value made once per source: from text ({@link Address.parse})
 * or from the numeric words a socket backend reports ({@link Address.fromWords}). An IPv4-mapped
 * IPv6 address (`::ffff:a.b.c.d`) is the IPv4 address: same words, same key, same text (protocol.md
 * 7: mapped addresses print as IPv4).
 *
 * Words: IPv4 is `words[0]` with the others 0; IPv6 is four big-endian 32-bit words in network order.
 * Key: a number to find an address with one `Map` lookup instead of a string built per datagram.
 * IPv4 gets the exact `ipv4 * 65536 + port` (< 2^48); IPv6 gets {@link IPV6_KEY_BASE} plus a 32-bit
 * hash keyed with a per-process secret ({@link addressKey}), so two IPv6 addresses may share a key
 * by chance, never by anyone's design: a lookup by key must confirm the hit with
 * {@link Address.equals} (or a word comparison) before using it.
 */

/** An address family: 4 (IPv4, also IPv4-mapped IPv6) or 6. */
export type AddressFamily = 4 | 6;

/** 2^48: IPv6 keys start here, above every IPv4 key (`ipv4 * 65536 + port` < 2^48). */
export const IPV6_KEY_BASE = 2 ** 48;

/**
 * The secret of this process's IPv6 keys: 64 random bits, drawn once per process and shared by
 * every copy of this module loaded in it (a global symbol), so that two copies (two installs or
 * bundles of the same version) key the same address alike; a copy from before this secret (an
 * unkeyed hash) would not, so one process should load one version. Keys are never sent or stored
 * outside the process (the cluster routes by the address text), so other processes need not agree.
 */
const SECRET = Symbol.for('bond.wire.addressKeySecret');

function processSecret(): Uint32Array {
  const holder = globalThis as { [SECRET]?: Uint32Array };
  let secret = holder[SECRET];
  if (secret === undefined) {
    const crypto = (
      globalThis as { crypto?: { getRandomValues?: (array: Uint32Array) => unknown } }
    ).crypto;
    if (typeof crypto?.getRandomValues !== 'function') {
      throw new Error(
        '@bond/wire needs Web Crypto (globalThis.crypto.getRandomValues) for its address keys: Node 20.19 or newer, without --no-experimental-global-webcrypto',
      );
    }
    secret = new Uint32Array(2);
    crypto.getRandomValues(secret);
    holder[SECRET] = secret;
  }
  return secret;
}
const secret = processSecret();
const K0 = secret[0] ?? 0;
const K1 = secret[1] ?? 0;

/**
 * The lookup key of an address given as words (see the module doc). Allocates nothing, so a table
 * can key a receive row without building an {@link Address}. Equal addresses have equal keys,
 * including an IPv4-mapped IPv6 address and its IPv4 form.
 *
 * An IPv6 key is HalfSipHash-1-3 (32-bit output) of the four words and the port, keyed with this
 * process's secret: nobody outside the process can construct two addresses that share a key, so
 * nobody can take a victim's key (issue 17). Two addresses still share a key by chance with
 * probability 2^-32 per pair, and every lookup confirms a hit on the full address.
 */
export function addressKey(
  family: AddressFamily,
  w0: number,
  w1: number,
  w2: number,
  w3: number,
  port: number,
): number {
  if (family === 4) return (w0 >>> 0) * 65536 + port;
  if (isMapped(w0, w1, w2)) return (w3 >>> 0) * 65536 + port;
  return IPV6_KEY_BASE + halfSipHash13(K0, K1, w0, w1, w2, w3, port);
}

/** HalfSipHash's last block for a 20-byte message: its length in the top byte, no bytes left over. */
const LAST_BLOCK = 20 << 24;

/**
 * HalfSipHash-1-3 with a 32-bit result (what Linux's hsiphash is on 32-bit kernels) over a
 * 20-byte message given as five 32-bit words, each standing for its 4 bytes in little-endian order:
 * one round per word and for the last block, then three to finish, in one loop of nine rounds so
 * a key costs no call or array. Exported for the tests, which check it against a plain
 * implementation that also passes the reference's HalfSipHash-2-4 test vector.
 */
export function halfSipHash13(
  k0: number,
  k1: number,
  m0: number,
  m1: number,
  m2: number,
  m3: number,
  m4: number,
): number {
  let v0 = k0 | 0;
  let v1 = k1 | 0;
  let v2 = (0x6c796765 ^ k0) | 0;
  let v3 = (0x74656462 ^ k1) | 0;
  // Rounds 0-5 take the message words and the last block (m is the one being taken); 6-8 finish.
  let m = m0;
  for (let round = 0; round < 9; round++) {
    if (round < 6) v3 ^= m;
    v0 = (v0 + v1) | 0;
    v1 = (v1 << 5) | (v1 >>> 27);
    v1 ^= v0;
    v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0;
    v3 = (v3 << 8) | (v3 >>> 24);
    v3 ^= v2;
    v0 = (v0 + v3) | 0;
    v3 = (v3 << 7) | (v3 >>> 25);
    v3 ^= v0;
    v2 = (v2 + v1) | 0;
    v1 = (v1 << 13) | (v1 >>> 19);
    v1 ^= v2;
    v2 = (v2 << 16) | (v2 >>> 16);
    if (round < 6) {
      v0 ^= m;
      m = round === 0 ? m1 : round === 1 ? m2 : round === 2 ? m3 : round === 3 ? m4 : LAST_BLOCK;
      if (round === 5) v2 ^= 0xff;
    }
  }
  return (v1 ^ v3) >>> 0;
}

/** An IP address and UDP port. Immutable; make one per source and reuse it. */
export class Address {
  readonly family: AddressFamily;
  /** The address words (see the module doc); IPv4 in `words[0]`, the others 0. */
  readonly words: readonly [number, number, number, number];
  readonly port: number;
  /** Numeric lookup key; confirm a hit with {@link Address.equals}. */
  readonly key: number;
  /** Canonical text of the IP: dotted IPv4 (also for IPv4-mapped IPv6), RFC 5952 IPv6. */
  readonly ip: string;

  private constructor(
    family: AddressFamily,
    words: readonly [number, number, number, number],
    port: number,
  ) {
    this.family = family;
    this.words = Object.freeze(words);
    this.port = port;
    this.key = addressKey(family, words[0], words[1], words[2], words[3], port);
    this.ip = family === 4 ? formatIpv4(words[0]) : formatIpv6(words);
    Object.freeze(this);
  }

  /**
   * An address from numeric words, as backends read them from the kernel. `w0..w3` are taken as
   * unsigned 32-bit words (only `w0` for family 4); `port` must be an integer 0..65535 (not
   * checked: backends report valid ports). IPv4-mapped IPv6 words become the IPv4 address.
   */
  static fromWords(
    family: AddressFamily,
    w0: number,
    w1: number,
    w2: number,
    w3: number,
    port: number,
  ): Address {
    if (family === 4) return new Address(4, [w0 >>> 0, 0, 0, 0], port);
    if (isMapped(w0, w1, w2)) return new Address(4, [w3 >>> 0, 0, 0, 0], port);
    return new Address(6, [w0 >>> 0, w1 >>> 0, w2 >>> 0, w3 >>> 0], port);
  }

  /**
   * Parses `ip` (an IPv4 or IPv6 literal: no host names, no `%zone`, no brackets) and `port` (an
   * integer 0..65535). Returns undefined for anything else; never throws.
   */
  static parse(ip: string, port: number): Address | undefined {
    if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
    const v4 = parseIpv4(ip);
    if (v4 !== undefined) return new Address(4, [v4, 0, 0, 0], port);
    const groups = parseIpv6Groups(ip);
    if (groups === undefined) return undefined;
    const word = (i: number) => ((groups[i * 2] ?? 0) * 65536 + (groups[i * 2 + 1] ?? 0)) >>> 0;
    return Address.fromWords(6, word(0), word(1), word(2), word(3), port);
  }

  /** Whether `other` is the same IP address and port (the full address, never the key alone). */
  equals(other: Address): boolean {
    return (
      this === other ||
      (this.port === other.port &&
        this.family === other.family &&
        this.words[0] === other.words[0] &&
        this.words[1] === other.words[1] &&
        this.words[2] === other.words[2] &&
        this.words[3] === other.words[3])
    );
  }

  /** `ip:port`, or `[ip]:port` for IPv6, for logs and stats. */
  toString(): string {
    return this.family === 6 ? `[${this.ip}]:${this.port}` : `${this.ip}:${this.port}`;
  }
}

function isMapped(w0: number, w1: number, w2: number): boolean {
  return w0 === 0 && w1 === 0 && w2 === 0xffff;
}

/** A dotted-quad IPv4 literal (decimal octets, no leading zeros) as one word, or undefined. */
function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let word = 0;
  for (const part of parts) {
    if (!/^(?:0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    word = word * 256 + octet;
  }
  return word;
}

/** The eight 16-bit groups of an IPv6 literal (an IPv4 tail counts as two), or undefined. */
function parseIpv6Groups(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? '', halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '', true) : [];
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  // "::" stands for at least one zero group.
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** Colon-separated hex groups; the last may be an IPv4 tail when `last` is true. */
function parseGroups(text: string, last: boolean): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  const pieces = text.split(':');
  for (let index = 0; index < pieces.length; index++) {
    const piece = pieces[index] ?? '';
    if (last && index === pieces.length - 1 && piece.includes('.')) {
      const v4 = parseIpv4(piece);
      if (v4 === undefined) return undefined;
      groups.push(Math.floor(v4 / 65536), v4 % 65536);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
      groups.push(Number.parseInt(piece, 16));
    }
  }
  return groups;
}

/** Dotted-quad text of an IPv4 word. */
function formatIpv4(word: number): string {
  return `${(word >>> 24) & 255}.${(word >>> 16) & 255}.${(word >>> 8) & 255}.${word & 255}`;
}

/** RFC 5952 text of IPv6 words: lower-case hex, the longest run of 2+ zero groups as `::`. */
function formatIpv6(words: readonly number[]): string {
  const groups: number[] = [];
  for (const word of words) groups.push((word >>> 16) & 0xffff, word & 0xffff);
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8;) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
