import { describe, expect, it } from 'vitest';
import {
  DatagramKind,
  SRTLA_REG_LENGTH,
  classifyDatagram,
  encodeReg1,
  encodeReg2,
  encodeSrtlaAck,
} from '../src/index.js';

function bytesOf(length: number, first: number[]): Uint8Array {
  const out = new Uint8Array(length);
  out.set(first);
  return out;
}

describe('classifyDatagram', () => {
  it('recognises REG1 and REG2 only at exactly 258 bytes', () => {
    expect(classifyDatagram(encodeReg1(new Uint8Array(256)))).toBe(DatagramKind.SrtlaReg1);
    expect(classifyDatagram(encodeReg2(new Uint8Array(256)))).toBe(DatagramKind.SrtlaReg2);
    for (const length of [2, 257, 259, 300]) {
      expect(classifyDatagram(bytesOf(length, [0x92, 0x00]))).toBe(DatagramKind.SrtlaUnknown);
      expect(classifyDatagram(bytesOf(length, [0x92, 0x01]))).toBe(DatagramKind.SrtlaUnknown);
    }
    expect(SRTLA_REG_LENGTH).toBe(258);
  });

  it('recognises replies and keepalives at any length from 2', () => {
    for (const length of [2, 10, 32, 38, 100]) {
      expect(classifyDatagram(bytesOf(length, [0x90, 0x00]))).toBe(DatagramKind.SrtlaKeepalive);
      expect(classifyDatagram(bytesOf(length, [0x92, 0x02]))).toBe(DatagramKind.SrtlaReg3);
      expect(classifyDatagram(bytesOf(length, [0x92, 0x10]))).toBe(DatagramKind.SrtlaRegErr);
      expect(classifyDatagram(bytesOf(length, [0x92, 0x11]))).toBe(DatagramKind.SrtlaRegNgp);
      expect(classifyDatagram(bytesOf(length, [0x92, 0x12]))).toBe(DatagramKind.SrtlaRegNak);
    }
  });

  it('accepts SRTLA ACKs of any k and rejects ragged ones', () => {
    for (const k of [0, 1, 10, 64]) {
      expect(classifyDatagram(encodeSrtlaAck(new Array<number>(k).fill(7)))).toBe(
        DatagramKind.SrtlaAck,
      );
    }
    expect(classifyDatagram(bytesOf(45, [0x91, 0x00]))).toBe(DatagramKind.SrtlaUnknown);
    expect(classifyDatagram(bytesOf(3, [0x91, 0x00]))).toBe(DatagramKind.SrtlaUnknown);
  });

  it('marks SRTLA types it does not know, which must never reach an SRT listener', () => {
    for (const type of [0x9001, 0x9300, 0x9213, 0x9fff]) {
      expect(classifyDatagram(bytesOf(64, [type >> 8, type & 0xff]))).toBe(
        DatagramKind.SrtlaUnknown,
      );
    }
  });

  it('tells SRT data from control and drops what is shorter than a header', () => {
    expect(classifyDatagram(bytesOf(16, [0x7f, 0xff, 0xff, 0xff]))).toBe(DatagramKind.SrtData);
    expect(classifyDatagram(bytesOf(1332, [0x00]))).toBe(DatagramKind.SrtData);
    expect(classifyDatagram(bytesOf(20, [0x80, 0x02]))).toBe(DatagramKind.SrtControl);
    expect(classifyDatagram(bytesOf(16, [0xff, 0xff]))).toBe(DatagramKind.SrtControl);
    expect(classifyDatagram(bytesOf(15, [0x00]))).toBe(DatagramKind.Unknown);
    expect(classifyDatagram(bytesOf(15, [0x80, 0x02]))).toBe(DatagramKind.Unknown);
    expect(classifyDatagram(new Uint8Array(0))).toBe(DatagramKind.Unknown);
    expect(classifyDatagram(new Uint8Array([0x90]))).toBe(DatagramKind.Unknown);
  });

  it('reads a datagram that is a view into a larger slab at its own offset', () => {
    const slab = new Uint8Array(600);
    slab.set(encodeReg2(new Uint8Array(256).fill(1)), 100);
    expect(classifyDatagram(slab.subarray(100, 100 + 258))).toBe(DatagramKind.SrtlaReg2);
    // One byte early, the first byte is 0x00: SRT data, not REG2.
    expect(classifyDatagram(slab.subarray(99, 99 + 258))).toBe(DatagramKind.SrtData);
  });
});
