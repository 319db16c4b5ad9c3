/**
 * Hex text to bytes and back, for captures, logs and tools (the shared test vectors store every
 * datagram as hex). Not for the hot path.
 */
import { WireDecodeError } from './errors.js';

/** Parses hex digits (either case, no separators) into bytes. Throws WireDecodeError otherwise. */
export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) {
    throw new WireDecodeError('hex text', hex.length, 'odd number of hex digits');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let index = 0; index < out.length; index++) {
    const pair = hex.slice(2 * index, 2 * index + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) {
      throw new WireDecodeError('hex text', 2 * index, `"${pair}" is not a hex byte`);
    }
    out[index] = Number.parseInt(pair, 16);
  }
  return out;
}

/** Lower-case hex digits of `bytes`. */
export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}
