/**
 * Endpoints: an IP address and port, parsed once into the numeric form every backend uses.
 *
 * Backends compare and send by the numeric words, never by building strings per datagram. An
 * IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is the IPv4 endpoint: a dual-stack socket reports IPv4
 * peers as IPv4, and sends to IPv4 endpoints through the mapping.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { IoArgumentError } from './errors.js';

/** An address family: 4 or 6. */
export type Family = 4 | 6;

/** A parsed IP address and UDP port. Immutable; create with {@link createEndpoint}. */
export interface Endpoint {
  /** Canonical text of the address (`127.0.0.1`, `::1`). */
  readonly address: string;
  readonly port: number;
  readonly family: Family;
  /**
   * The address as four big-endian 32-bit words: IPv6 in network order; IPv4 in `words[0]` with
   * the others 0.
   */
  readonly words: readonly [number, number, number, number];
}

/** Parses `address` (an IPv4 or IPv6 literal, no host names) and `port` into an {@link Endpoint}. */
export function createEndpoint(address: string, port: number): Endpoint {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new IoArgumentError(`port must be an integer 0..65535, got ${String(port)}`);
  }
  const words = parseAddress(address);
  if (words === undefined) {
    throw new IoArgumentError(`"${address}" is not an IPv4 or IPv6 address literal`);
  }
  return endpointFromWords(words.family, words.w0, words.w1, words.w2, words.w3, port);
}

/** Builds an endpoint from numeric words (as backends read them from the kernel). */
export function endpointFromWords(
  family: Family,
  w0: number,
  w1: number,
  w2: number,
  w3: number,
  port: number,
): Endpoint {
  if (family === 6 && w0 === 0 && w1 === 0 && w2 === 0xffff) {
    return { address: formatIpv4(w3), port, family: 4, words: [w3 >>> 0, 0, 0, 0] };
  }
  if (family === 4) {
    return { address: formatIpv4(w0), port, family: 4, words: [w0 >>> 0, 0, 0, 0] };
  }
  const words: [number, number, number, number] = [w0 >>> 0, w1 >>> 0, w2 >>> 0, w3 >>> 0];
  return { address: formatIpv6(words), port, family: 6, words };
}

/** Whether two endpoints name the same address and port. */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return (
    a.port === b.port &&
    a.family === b.family &&
    a.words[0] === b.words[0] &&
    a.words[1] === b.words[1] &&
    a.words[2] === b.words[2] &&
    a.words[3] === b.words[3]
  );
}

interface ParsedAddress {
  family: Family;
  w0: number;
  w1: number;
  w2: number;
  w3: number;
}

/** Parses an IP literal into words; an IPv4-mapped IPv6 literal becomes IPv4. */
export function parseAddress(address: string): ParsedAddress | undefined {
  if (isIPv4(address)) {
    return { family: 4, w0: ipv4Word(address), w1: 0, w2: 0, w3: 0 };
  }
  if (!isIPv6(address) || address.includes('%')) return undefined;
  const groups = ipv6Groups(address);
  const word = (i: number) => (((groups[i * 2] ?? 0) << 16) | (groups[i * 2 + 1] ?? 0)) >>> 0;
  const w0 = word(0);
  const w1 = word(1);
  const w2 = word(2);
  const w3 = word(3);
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return { family: 4, w0: w3, w1: 0, w2: 0, w3: 0 };
  return { family: 6, w0, w1, w2, w3 };
}

function ipv4Word(address: string): number {
  let word = 0;
  for (const part of address.split('.')) word = (word * 256 + Number(part)) >>> 0;
  return word;
}

/** The eight 16-bit groups of a valid IPv6 literal (validated by `isIPv6` first). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // An embedded IPv4 tail (`::ffff:1.2.3.4`) is two more hex groups.
    const v4 = ipv4Word(last);
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const front = parse(head);
  const back = rest === undefined ? [] : parse(rest);
  const fill = 8 - front.length - back.length;
  return [...front, ...new Array<number>(Math.max(0, fill)).fill(0), ...back];
}

/** Dotted-quad text of an IPv4 word. */
export function formatIpv4(word: number): string {
  return `${(word >>> 24) & 255}.${(word >>> 16) & 255}.${(word >>> 8) & 255}.${word & 255}`;
}

/** RFC 5952 text of an IPv6 address given as four words. */
function formatIpv6(words: readonly number[]): string {
  const groups: number[] = [];
  for (const w of words) groups.push((w >>> 16) & 0xffff, w & 0xffff);
  // Longest run of zero groups (length >= 2) becomes "::".
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
