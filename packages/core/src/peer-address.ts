/**
 * Peer addresses with a numeric key, so the receiver finds a link per packet with one `Map` lookup
 * on a number instead of building a string (protocol.md 4.2, architecture.md "Data flow").
 *
 * IPv4 `a.b.c.d:port` and its IPv4-mapped IPv6 form `::ffff:a.b.c.d:port` are the same address and
 * get the same exact key, `ipv4 * 65536 + port` (< 2^48). Other IPv6 addresses get a hashed key at
 * or above 2^48; equal addresses always have equal keys, and callers confirm a hit with
 * {@link samePeerAddress} since two IPv6 addresses may share a key.
 *
 * Parse an address once (when a socket first sees it) and reuse the object.
 */

export interface PeerAddress {
  /** Numeric lookup key; see the module doc. */
  readonly key: number;
  /** 4 for IPv4 and IPv4-mapped IPv6; 6 otherwise. */
  readonly family: 4 | 6;
  /** Printable address: dotted IPv4 (also for IPv4-mapped IPv6), or IPv6 as given (lower-cased). */
  readonly ip: string;
  readonly port: number;
}

const IPV6_KEY_BASE = 2 ** 48;

function parseIpv4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** Expands an IPv6 string into 8 groups, or undefined if it is not IPv6. */
function parseIpv6(ip: string): number[] | undefined {
  const zone = ip.indexOf('%');
  const text = zone >= 0 ? ip.slice(0, zone) : ip;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parseHalf = (half: string): number[] | undefined => {
    if (half === '') return [];
    const groups: number[] = [];
    const pieces = half.split(':');
    for (let index = 0; index < pieces.length; index++) {
      const piece = pieces[index] ?? '';
      if (index === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return undefined;
        groups.push(Math.floor(v4 / 65536), v4 % 65536);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        groups.push(Number.parseInt(piece, 16));
      }
    }
    return groups;
  };
  const head = parseHalf(halves[0] ?? '');
  const tail = halves.length === 2 ? parseHalf(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** RFC 5952 text: lower-case hex, the longest run of two or more zero groups as `::`. */
function formatIpv6(groups: readonly number[]): string {
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
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 65535;
}

/**
 * Parses `ip` (IPv4 or IPv6, optionally with a `%zone`) and `port` into a {@link PeerAddress}.
 * Returns undefined for anything that is not a valid address and port.
 */
export function parsePeerAddress(ip: string, port: number): PeerAddress | undefined {
  if (!isPort(port)) return undefined;
  const v4 = parseIpv4(ip);
  if (v4 !== undefined) return { key: v4 * 65536 + port, family: 4, ip, port };
  const groups = parseIpv6(ip);
  if (groups === undefined) return undefined;
  const mapped =
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff;
  if (mapped) {
    const value = (groups[6] ?? 0) * 65536 + (groups[7] ?? 0);
    const dotted = [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
    return { key: value * 65536 + port, family: 4, ip: dotted, port };
  }
  // FNV-1a over the 8 groups and the port: a 32-bit key above the IPv4 range.
  let hash = 0x811c9dc5;
  for (const group of [...groups, port]) {
    hash = Math.imul(hash ^ (group >>> 8), 0x01000193);
    hash = Math.imul(hash ^ (group & 0xff), 0x01000193);
  }
  return { key: IPV6_KEY_BASE + (hash >>> 0), family: 6, ip: formatIpv6(groups), port };
}

/** True when two parsed addresses are the same address and port. */
export function samePeerAddress(a: PeerAddress, b: PeerAddress): boolean {
  return a.key === b.key && a.port === b.port && a.ip === b.ip;
}

/** `ip:port`, or `[ip]:port` for IPv6, for logs and stats. */
export function formatPeerAddress(address: PeerAddress): string {
  return address.family === 6 ? `[${address.ip}]:${address.port}` : `${address.ip}:${address.port}`;
}
