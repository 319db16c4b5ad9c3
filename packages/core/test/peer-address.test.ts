import { describe, expect, it } from 'vitest';
import { formatPeerAddress, parsePeerAddress, samePeerAddress } from '../src/index.js';

describe('peer addresses', () => {
  it('gives IPv4 and IPv4-mapped IPv6 the same exact key and prints them as IPv4', () => {
    const v4 = parsePeerAddress('192.0.2.7', 5000);
    const mapped = parsePeerAddress('::ffff:192.0.2.7', 5000);
    const mappedHex = parsePeerAddress('::ffff:c000:207', 5000);
    expect(v4?.key).toBe((192 * 2 ** 24 + 2 * 256 + 7) * 65536 + 5000);
    expect(mapped).toEqual(v4);
    expect(mappedHex).toEqual(v4);
    if (mapped === undefined) throw new Error('parse failed');
    expect(formatPeerAddress(mapped)).toBe('192.0.2.7:5000');
  });

  it('keys ports apart', () => {
    expect(parsePeerAddress('127.0.0.1', 1)?.key).not.toBe(parsePeerAddress('127.0.0.1', 2)?.key);
  });

  it('canonicalises IPv6 so equal addresses compare equal', () => {
    const a = parsePeerAddress('2001:db8:0:0:0:0:0:1', 443);
    const b = parsePeerAddress('2001:DB8::1', 443);
    if (a === undefined || b === undefined) throw new Error('parse failed');
    expect(a.ip).toBe('2001:db8::1');
    expect(samePeerAddress(a, b)).toBe(true);
    expect(a.key).toBeGreaterThanOrEqual(2 ** 48);
    expect(formatPeerAddress(a)).toBe('[2001:db8::1]:443');
    expect(parsePeerAddress('::1', 9)?.ip).toBe('::1');
  });

  it('rejects what is not an address or a port', () => {
    for (const ip of ['', '1.2.3', '1.2.3.256', 'example.com', '1::2::3', '12345::', ':::']) {
      expect(parsePeerAddress(ip, 80)).toBeUndefined();
    }
    expect(parsePeerAddress('1.2.3.4', 65536)).toBeUndefined();
    expect(parsePeerAddress('1.2.3.4', -1)).toBeUndefined();
    expect(parsePeerAddress('1.2.3.4', 1.5)).toBeUndefined();
  });
});
