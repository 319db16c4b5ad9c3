import { describe, expect, it } from 'vitest';
import {
  BOND_TRAILER_MAGIC,
  WireDecodeError,
  decodeKeepalive,
  encodeKeepalive,
  encodeKeepaliveEcho,
  isExtendedKeepalive,
  peekKeepaliveTimestamp,
  type ReceiverReport,
  type SenderTelemetry,
} from '../src/index.js';

const telemetry: SenderTelemetry = {
  linkId: 3,
  linkName: 'wwan0',
  interfaceKind: 'cellular',
  priority: 100,
  srttUs: 48_000,
  rttvarUs: 6_000,
  window: 20_000,
  inFlight: 7,
  packetsSent: 123_456,
  bytesSent: 164_443_392,
  packetsNaked: 12,
  packetsRetransmitted: 9,
  sendRateBytesPerSec: 750_000,
  sharePermille: 333,
  capabilities: 1,
};

const report: ReceiverReport = {
  linkId: 3,
  packetsReceived: 123_000,
  bytesReceived: 163_836_000,
  deliveryRateBytesPerSec: 740_000,
  queueingDelayUs: 35_000,
  delayOffsetUs: 12_000,
  gaps: 4,
  duplicates: 1,
  reordered: 80,
  maxReorderDistance: 6,
  scorePermille: 910,
  advisoryWeightPermille: 300,
  capabilities: 3,
};

const info = {
  connId: 3,
  window: 20_000,
  inFlight: 7,
  rttMs: 48,
  nakCount: 12,
  bitrateBytesPerSec: 750_000,
};

describe('SRTLA keepalive', () => {
  it('encodes the form its fields call for', () => {
    expect(encodeKeepalive({})).toHaveLength(2);
    expect(encodeKeepalive({ timestampMs: 1 })).toHaveLength(10);
    expect(encodeKeepalive({ timestampMs: 1, info })).toHaveLength(38);
    const bond = encodeKeepalive({
      timestampMs: 1,
      info,
      trailer: { body: 'sender', sender: telemetry },
    });
    expect(bond.length).toBeGreaterThan(44);
    expect(bond.length).toBeLessThanOrEqual(38 + 1200);
    expect((bond[38] ?? 0) * 256 + (bond[39] ?? 0)).toBe(BOND_TRAILER_MAGIC);
  });

  it("carries bond's sender telemetry after an extended v1 keepalive", () => {
    const bytes = encodeKeepalive({
      timestampMs: 1_700_000_000_123,
      info,
      trailer: { body: 'sender', sender: telemetry },
    });
    expect(isExtendedKeepalive(bytes)).toBe(true);
    expect(decodeKeepalive(bytes)).toEqual({
      timestampMs: 1_700_000_000_123,
      info,
      trailer: { body: 'sender', sender: telemetry },
    });
  });

  it("echoes bytes 0-37 and replaces the sender's trailer with a receiver report", () => {
    const sent = encodeKeepalive({
      timestampMs: 99,
      info,
      trailer: { body: 'sender', sender: telemetry },
    });
    const echo = encodeKeepaliveEcho(sent, { body: 'receiver', receiver: report });
    expect(echo.subarray(0, 38)).toEqual(sent.subarray(0, 38));
    expect(decodeKeepalive(echo).trailer).toEqual({ body: 'receiver', receiver: report });
    expect(peekKeepaliveTimestamp(echo)).toBe(99);
  });

  it('echoes a keepalive that is not extended byte for byte, padded', () => {
    const sent = encodeKeepalive({ timestampMs: 5 });
    const echo = encodeKeepaliveEcho(sent, { body: 'receiver', receiver: report }, { padTo: 32 });
    expect(echo).toHaveLength(32);
    expect(echo.subarray(0, 10)).toEqual(sent);
    expect(echo.subarray(10).every((byte) => byte === 0)).toBe(true);
  });

  it('ignores a trailer of another version, and unknown trailing bytes', () => {
    const bytes = encodeKeepalive({
      timestampMs: 1,
      info,
      trailer: { body: 'sender', sender: telemetry },
    });
    bytes[40] = 2;
    expect(decodeKeepalive(bytes)).toEqual({ timestampMs: 1, info });
    const withJunk = new Uint8Array(42);
    withJunk.set(encodeKeepalive({ timestampMs: 1, info }));
    withJunk.set([1, 2, 3, 4], 38);
    expect(decodeKeepalive(withJunk)).toEqual({ timestampMs: 1, info });
  });

  it('rejects a trailer whose length runs past the datagram', () => {
    const bytes = encodeKeepalive({
      timestampMs: 1,
      info,
      trailer: { body: 'sender', sender: telemetry },
    });
    const cut = bytes.subarray(0, bytes.length - 1);
    expect(() => decodeKeepalive(cut)).toThrow(WireDecodeError);
    expect(() => decodeKeepalive(cut)).toThrow(/runs past the datagram/);
  });

  it('clamps out-of-range telemetry instead of wrapping it', () => {
    const bytes = encodeKeepalive({
      timestampMs: 1,
      info,
      trailer: {
        body: 'sender',
        sender: { ...telemetry, srttUs: -5, window: 2 ** 40, sendRateBytesPerSec: Number.NaN },
      },
    });
    const trailer = decodeKeepalive(bytes).trailer;
    expect(trailer?.body).toBe('sender');
    if (trailer?.body !== 'sender') return;
    expect(trailer.sender.srttUs).toBe(0);
    expect(trailer.sender.window).toBe(0xffffffff);
    expect(trailer.sender.sendRateBytesPerSec).toBe(0);
  });

  it('cuts a long link name to 64 UTF-8 bytes without splitting a character', () => {
    const bytes = encodeKeepalive({
      timestampMs: 1,
      info,
      trailer: { body: 'sender', sender: { ...telemetry, linkName: 'é'.repeat(40) } },
    });
    const trailer = decodeKeepalive(bytes).trailer;
    if (trailer?.body !== 'sender') throw new Error('expected sender telemetry');
    expect(trailer.sender.linkName).toBe('é'.repeat(32));
  });

  it('reads a u64 timestamp above 2^32 exactly', () => {
    const bytes = encodeKeepalive({ timestampMs: 2 ** 40 + 5 });
    expect(Buffer.from(bytes).toString('hex')).toBe('90000000010000000005');
    expect(decodeKeepalive(bytes).timestampMs).toBe(2 ** 40 + 5);
  });
});
