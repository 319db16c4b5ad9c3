/**
 * Round-trip properties: for every message type @bond/wire has an encoder and a decoder for,
 * `decode(encode(x))` equals `x` (protocol.md sections 2, 3 and 5), plus the wrap-aware sequence
 * helpers as properties and worked examples across the 31-bit wrap.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BOND_LINK_NAME_MAX_BYTES,
  BOND_TRAILER_MAGIC,
  BOND_TRAILER_OFFSET,
  DatagramKind,
  KEEPALIVE_BARE_LENGTH,
  KEEPALIVE_EXTENDED_LENGTH,
  KEEPALIVE_TIMESTAMPED_LENGTH,
  SEQ_HALF,
  SEQ_MAX,
  SEQ_MODULUS,
  SRTLA_ID_LENGTH,
  SRTLA_PADDED_REPLY_LENGTH,
  SRTLA_REG_LENGTH,
  SRTLA_TYPE,
  SRT_CONTROL,
  SRT_HANDSHAKE_LENGTH,
  SRT_HEADER_LENGTH,
  SRT_LIGHT_ACK_LENGTH,
  SRT_SHUTDOWN_LENGTH,
  classifyDatagram,
  decodeBondTrailerAt,
  decodeBondTrailerMessage,
  decodeKeepalive,
  decodeReg1,
  decodeReg2,
  decodeRegNak,
  decodeSrtAck,
  decodeSrtControl,
  decodeSrtDataHeader,
  decodeSrtHandshake,
  decodeSrtNak,
  decodeSrtShutdown,
  decodeSrtla,
  decodeSrtlaAck,
  encodeBondTrailerMessage,
  encodeKeepalive,
  encodeKeepaliveEcho,
  encodeReg1,
  encodeReg2,
  encodeReg3,
  encodeRegErr,
  encodeRegNak,
  encodeRegNgp,
  encodeSrtAck,
  encodeSrtControl,
  encodeSrtData,
  encodeSrtHandshake,
  encodeSrtNak,
  encodeSrtShutdown,
  encodeSrtla,
  encodeSrtlaAck,
  expandLossList,
  forEachLostSeq,
  isExtendedKeepalive,
  isSeq,
  peekKeepaliveTimestamp,
  peekSrtlaAckSeq,
  seqAdd,
  seqCompare,
  seqDistance,
  seqLessOrEqual,
  seqLessThan,
  seqMax,
  seqMin,
  srtlaAckCount,
  truncateLinkName,
  writeSrtlaAck,
  type BondTrailer,
  type InterfaceKind,
  type KeepaliveConnectionInfo,
  type PadOptions,
  type ReceiverReport,
  type SenderTelemetry,
  type SeqRange,
  type SrtAck,
  type SrtControlPacket,
  type SrtDataHeader,
  type SrtHandshake,
  type SrtNak,
  type SrtShutdown,
  type SrtlaKeepalive,
  type SrtlaPacket,
} from '../src/index.js';

// 200 runs per property: each run is a few microseconds, and the whole file stays well under 2 s.
const RUNS = { numRuns: 200 };

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

/** fc.record with ordinary prototypes, so decoded objects can be compared with toStrictEqual. */
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
/** 64-bit counters are exact up to 2^53 - 1. */
const u53 = fc.maxSafeNat();

/** Any 31-bit sequence number, biased towards both sides of the wrap. */
const seq = fc.oneof(
  fc.integer({ min: 0, max: SEQ_MAX }),
  fc.integer({ min: SEQ_MAX - 64, max: SEQ_MAX }),
  fc.integer({ min: 0, max: 64 }),
);

/** An inclusive range of length in [1, 2^30) (so first !== last), possibly crossing the wrap. */
const multiRange: fc.Arbitrary<SeqRange> = fc
  .tuple(seq, fc.integer({ min: 1, max: SEQ_HALF - 1 }))
  .map(([first, length]) => ({ first, last: seqAdd(first, length) }));

/** A range that certainly crosses the wrap: first near 0x7FFFFFFF, last past 0. */
const wrappingRange: fc.Arbitrary<SeqRange> = fc.integer({ min: 0, max: 1000 }).chain((back) =>
  fc.integer({ min: back + 1, max: SEQ_HALF - 1 }).map((length) => {
    const first = SEQ_MAX - back;
    return { first, last: seqAdd(first, length) };
  }),
);

const singleLoss: fc.Arbitrary<SeqRange> = seq.map((s) => ({ first: s, last: s }));

const seqRange = fc.oneof(singleLoss, multiRange, wrappingRange);

const srtDataHeader: fc.Arbitrary<SrtDataHeader> = record({
  seq,
  packetPosition: fc.integer({ min: 0, max: 3 }),
  inOrder: fc.boolean(),
  encryptionKey: fc.integer({ min: 0, max: 3 }),
  retransmitted: fc.boolean(),
  messageNumber: fc.integer({ min: 0, max: 0x03ffffff }),
  timestamp: u32,
  destinationSocketId: u32,
});

const srtControlPacket: fc.Arbitrary<SrtControlPacket> = record({
  controlType: fc.oneof(
    fc.constantFrom(...Object.values(SRT_CONTROL)),
    fc.integer({ min: 0x8000, max: 0xffff }),
  ),
  subtype: u16,
  typeSpecific: u32,
  timestamp: u32,
  destinationSocketId: u32,
  body: fc.uint8Array({ maxLength: 200, size: 'max' }),
});

const ACK_OPTIONAL_FIELDS = [
  'rttUs',
  'rttVarianceUs',
  'availableBufferPackets',
  'packetsReceivingRate',
  'linkCapacityPacketsPerSec',
  'receivingRateBytesPerSec',
] as const;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A light ACK (no optional fields) up to a full ACK: the optional fields present are a prefix. */
const srtAck: fc.Arbitrary<SrtAck> = record({
  ackNumber: u32,
  timestamp: u32,
  destinationSocketId: u32,
  ackSeq: seq,
  optional: fc.array(u32, { maxLength: ACK_OPTIONAL_FIELDS.length }),
}).map(({ optional, ...base }) => {
  const ack: Mutable<SrtAck> = { ...base };
  optional.forEach((value, index) => {
    const field = ACK_OPTIONAL_FIELDS[index];
    if (field !== undefined) ack[field] = value;
  });
  return ack;
});

const srtNak: fc.Arbitrary<SrtNak> = record({
  typeSpecific: u32,
  timestamp: u32,
  destinationSocketId: u32,
  ranges: fc.array(seqRange, { maxLength: 40, size: 'max' }),
});

const srtHandshake: fc.Arbitrary<SrtHandshake> = record({
  timestamp: u32,
  destinationSocketId: u32,
  version: u32,
  encryption: u16,
  extension: u16,
  initialSeq: u32,
  mtu: u32,
  flowWindow: u32,
  handshakeType: fc.oneof(fc.constantFrom(0, 1, 1000, 0xfffffffd, 0xfffffffe, 0xffffffff), u32),
  socketId: u32,
  cookie: u32,
  peerIp: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  extensions: fc.uint8Array({ maxLength: 200, size: 'max' }),
});

const srtShutdown: fc.Arbitrary<SrtShutdown> = record({
  timestamp: u32,
  destinationSocketId: u32,
});

const srtlaId = fc.uint8Array({ minLength: SRTLA_ID_LENGTH, maxLength: SRTLA_ID_LENGTH });

/** Valid Unicode without a trailing NUL (trailing NULs are padding), edge characters up front. */
const regNakReason = fc
  .tuple(
    fc.constantFrom('', '\uFEFF', '\0', '\u00e9', '\u{1F600}', '\uFFFD', ' '),
    fc.string({ unit: 'binary', maxLength: 80, size: 'max' }),
  )
  .map(([head, tail]) => head + tail)
  .filter((reason) => !reason.endsWith('\0'));

const interfaceKind = fc.constantFrom<InterfaceKind>(
  'unspecified',
  'cellular',
  'wifi',
  'ethernet',
  'other',
);

const senderTelemetry: fc.Arbitrary<SenderTelemetry> = record({
  linkId: u32,
  linkName: fc.string({ unit: 'binary-ascii', maxLength: 64, size: 'max' }),
  interfaceKind,
  priority: u32,
  srttUs: u32,
  rttvarUs: u32,
  window: u32,
  inFlight: u32,
  packetsSent: u53,
  bytesSent: u53,
  packetsNaked: u53,
  packetsRetransmitted: u53,
  sendRateBytesPerSec: u53,
  sharePermille: u32,
  capabilities: u32,
});

const receiverReport: fc.Arbitrary<ReceiverReport> = record({
  linkId: u32,
  packetsReceived: u53,
  bytesReceived: u53,
  deliveryRateBytesPerSec: u53,
  queueingDelayUs: u32,
  delayOffsetUs: u32,
  gaps: u53,
  duplicates: u53,
  reordered: u53,
  maxReorderDistance: u32,
  scorePermille: u32,
  advisoryWeightPermille: u32,
  capabilities: u32,
});

const senderTrailer = senderTelemetry.map((sender): BondTrailer => ({ body: 'sender', sender }));
const receiverTrailer = receiverReport.map((receiver): BondTrailer => ({
  body: 'receiver',
  receiver,
}));
const bondTrailer: fc.Arbitrary<BondTrailer> = fc.oneof(
  senderTrailer,
  receiverTrailer,
  fc.constant<BondTrailer>({ body: 'none' }),
);

const connectionInfo: fc.Arbitrary<KeepaliveConnectionInfo> = record({
  connId: u32,
  window: i32,
  inFlight: i32,
  rttMs: u32,
  nakCount: u32,
  bitrateBytesPerSec: u32,
});

const timestampMs = u53;

const bareKeepalive = fc.constant<SrtlaKeepalive>({});
const timestampedKeepalive: fc.Arbitrary<SrtlaKeepalive> = timestampMs.map((ms) => ({
  timestampMs: ms,
}));
const extendedKeepalive: fc.Arbitrary<SrtlaKeepalive> = record({
  timestampMs,
  info: connectionInfo,
});
const bondKeepalive: fc.Arbitrary<SrtlaKeepalive> = record({
  timestampMs,
  info: connectionInfo,
  trailer: bondTrailer,
});
const anyKeepalive = fc.oneof(
  bareKeepalive,
  timestampedKeepalive,
  extendedKeepalive,
  bondKeepalive,
);

const srtlaPacket: fc.Arbitrary<SrtlaPacket> = fc.oneof(
  anyKeepalive.map((keepalive): SrtlaPacket => ({ type: 'keepalive', keepalive })),
  fc.array(seq, { maxLength: 64, size: 'max' }).map((seqs): SrtlaPacket => ({ type: 'ack', seqs })),
  srtlaId.map((senderId): SrtlaPacket => ({ type: 'reg1', senderId })),
  srtlaId.map((groupId): SrtlaPacket => ({ type: 'reg2', groupId })),
  fc.constantFrom<SrtlaPacket>({ type: 'reg3' }, { type: 'reg-err' }, { type: 'reg-ngp' }),
  regNakReason.map((reason): SrtlaPacket => ({ type: 'reg-nak', reason })),
);

const padOptions = fc.constantFrom<PadOptions>({}, { padTo: SRTLA_PADDED_REPLY_LENGTH });
const PADDED: PadOptions = { padTo: SRTLA_PADDED_REPLY_LENGTH };

/** True when every byte of `bytes` from `start` on is zero. */
function zeroFrom(bytes: Uint8Array, start: number): boolean {
  return bytes.subarray(start).every((byte) => byte === 0);
}

// ---------------------------------------------------------------------------------------------
// SRT
// ---------------------------------------------------------------------------------------------

describe('SRT round trips', () => {
  it('data header and payload', () => {
    fc.assert(
      fc.property(
        srtDataHeader,
        fc.oneof(fc.uint8Array({ maxLength: 32 }), fc.uint8Array({ maxLength: 1316, size: 'max' })),
        (header, payload) => {
          const bytes = encodeSrtData(header, payload);
          expect(bytes.length).toBe(SRT_HEADER_LENGTH + payload.length);
          expect(classifyDatagram(bytes)).toBe(DatagramKind.SrtData);
          expect(decodeSrtDataHeader(bytes)).toStrictEqual(header);
          expect(bytes.subarray(SRT_HEADER_LENGTH)).toStrictEqual(payload);
        },
      ),
      RUNS,
    );
  });

  it('generic control packet, body bytes included', () => {
    fc.assert(
      fc.property(srtControlPacket, (packet) => {
        const bytes = encodeSrtControl(packet);
        expect(bytes.length).toBe(SRT_HEADER_LENGTH + packet.body.length);
        const decoded = decodeSrtControl(bytes);
        const { body, ...header } = decoded;
        const { body: expectedBody, ...expectedHeader } = packet;
        expect(header).toStrictEqual(expectedHeader);
        expect(Array.from(body)).toStrictEqual(Array.from(expectedBody));
      }),
      RUNS,
    );
  });

  it('ACK, light and with any prefix of the optional fields', () => {
    fc.assert(
      fc.property(srtAck, (ack) => {
        const bytes = encodeSrtAck(ack);
        const present = ACK_OPTIONAL_FIELDS.filter((field) => ack[field] !== undefined).length;
        expect(bytes.length).toBe(SRT_LIGHT_ACK_LENGTH + 4 * present);
        expect(decodeSrtAck(bytes)).toStrictEqual(ack);
      }),
      RUNS,
    );
  });

  it('ACK: optional fields missing before the last present one are written as 0', () => {
    fc.assert(
      fc.property(seq, u32, (ackSeq, rate) => {
        const bytes = encodeSrtAck({
          ackNumber: 7,
          timestamp: 1,
          destinationSocketId: 2,
          ackSeq,
          receivingRateBytesPerSec: rate,
        });
        expect(decodeSrtAck(bytes)).toStrictEqual({
          ackNumber: 7,
          timestamp: 1,
          destinationSocketId: 2,
          ackSeq,
          rttUs: 0,
          rttVarianceUs: 0,
          availableBufferPackets: 0,
          packetsReceivingRate: 0,
          linkCapacityPacketsPerSec: 0,
          receivingRateBytesPerSec: rate,
        });
      }),
      RUNS,
    );
  });

  it('NAK: singles and ranges, including ranges that cross the 31-bit wrap', () => {
    fc.assert(
      fc.property(srtNak, (nak) => {
        const bytes = encodeSrtNak(nak);
        const entries = nak.ranges.reduce((sum, r) => sum + (r.first === r.last ? 1 : 2), 0);
        expect(bytes.length).toBe(SRT_HEADER_LENGTH + 4 * entries);
        expect(decodeSrtNak(bytes)).toStrictEqual(nak);
      }),
      RUNS,
    );
  });

  it('NAK: a wrapping range keeps first > last on the wire and expands through 0', () => {
    fc.assert(
      fc.property(wrappingRange, (range) => {
        expect(range.last).toBeLessThan(range.first);
        const nak: SrtNak = {
          typeSpecific: 0,
          timestamp: 0,
          destinationSocketId: 0,
          ranges: [range],
        };
        expect(decodeSrtNak(encodeSrtNak(nak)).ranges).toStrictEqual([range]);
        const lost = expandLossList([range], SEQ_MAX - range.first + 3);
        expect(lost[0]).toBe(range.first);
        expect(lost[SEQ_MAX - range.first]).toBe(SEQ_MAX);
        expect(lost[SEQ_MAX - range.first + 1]).toBe(0);
        expect(lost[SEQ_MAX - range.first + 2]).toBe(range.last === 0 ? undefined : 1);
      }),
      RUNS,
    );
  });

  it('NAK: short ranges expand to exactly their members, in order', () => {
    const shortRange = fc
      .tuple(seq, fc.integer({ min: 0, max: 40 }))
      .map(([first, length]) => ({ first, last: seqAdd(first, length) }));
    fc.assert(
      fc.property(fc.array(shortRange, { maxLength: 10 }), (ranges) => {
        const expected: number[] = [];
        for (const { first, last } of ranges) {
          // Independent of the library's helpers: plain modular arithmetic.
          const count = ((last - first + SEQ_MODULUS) % SEQ_MODULUS) + 1;
          for (let i = 0; i < count; i++) expected.push((first + i) % SEQ_MODULUS);
        }
        const nak: SrtNak = { typeSpecific: 0, timestamp: 0, destinationSocketId: 0, ranges };
        const decoded = decodeSrtNak(encodeSrtNak(nak));
        expect(expandLossList(decoded.ranges)).toStrictEqual(expected);
        const visited: number[] = [];
        expect(forEachLostSeq(decoded.ranges, (s) => visited.push(s))).toBe(expected.length);
        expect(visited).toStrictEqual(expected);
      }),
      RUNS,
    );
  });

  it('handshake, extension bytes included', () => {
    fc.assert(
      fc.property(srtHandshake, (handshake) => {
        const bytes = encodeSrtHandshake(handshake);
        expect(bytes.length).toBe(SRT_HANDSHAKE_LENGTH + handshake.extensions.length);
        expect(classifyDatagram(bytes)).toBe(DatagramKind.SrtControl);
        expect(decodeSrtHandshake(bytes)).toStrictEqual(handshake);
      }),
      RUNS,
    );
  });

  it('shutdown', () => {
    fc.assert(
      fc.property(srtShutdown, (shutdown) => {
        const bytes = encodeSrtShutdown(shutdown);
        expect(bytes.length).toBe(SRT_SHUTDOWN_LENGTH);
        expect(decodeSrtControl(bytes).controlType).toBe(SRT_CONTROL.SHUTDOWN);
        expect(decodeSrtShutdown(bytes)).toStrictEqual(shutdown);
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// SRTLA registration and ACK
// ---------------------------------------------------------------------------------------------

describe('SRTLA registration round trips', () => {
  it('REG1 and REG2 carry their 256-byte ids', () => {
    fc.assert(
      fc.property(srtlaId, srtlaId, (senderId, groupId) => {
        const reg1 = encodeReg1(senderId);
        const reg2 = encodeReg2(groupId);
        expect(reg1.length).toBe(SRTLA_REG_LENGTH);
        expect(reg2.length).toBe(SRTLA_REG_LENGTH);
        expect(classifyDatagram(reg1)).toBe(DatagramKind.SrtlaReg1);
        expect(classifyDatagram(reg2)).toBe(DatagramKind.SrtlaReg2);
        expect(decodeReg1(reg1)).toStrictEqual(senderId);
        expect(decodeReg2(reg2)).toStrictEqual(groupId);
      }),
      RUNS,
    );
  });

  it('REG1 with a short id is zero-filled to 256 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: SRTLA_ID_LENGTH - 1, size: 'max' }), (short) => {
        const id = decodeReg1(encodeReg1(short));
        expect(id.length).toBe(SRTLA_ID_LENGTH);
        expect(id.subarray(0, short.length)).toStrictEqual(short);
        expect(zeroFrom(id, short.length)).toBe(true);
      }),
      RUNS,
    );
  });

  it('REG3, REG_ERR and REG_NGP decode by type, padded to 32 or not', () => {
    const replies = [
      { encode: encodeReg3, kind: DatagramKind.SrtlaReg3, packet: { type: 'reg3' } },
      { encode: encodeRegErr, kind: DatagramKind.SrtlaRegErr, packet: { type: 'reg-err' } },
      { encode: encodeRegNgp, kind: DatagramKind.SrtlaRegNgp, packet: { type: 'reg-ngp' } },
    ] as const;
    fc.assert(
      fc.property(fc.constantFrom(...replies), padOptions, ({ encode, kind, packet }, options) => {
        const bytes = encode(options);
        expect(bytes.length).toBe(options.padTo ?? 2);
        expect(zeroFrom(bytes, 2)).toBe(true);
        expect(classifyDatagram(bytes)).toBe(kind);
        expect(decodeSrtla(bytes)).toStrictEqual(packet);
        expect(decodeSrtla(bytes)).toStrictEqual(decodeSrtla(encode()));
      }),
      { numRuns: 30 },
    );
  });

  it('REG_NAK keeps its reason text, padded to 32 or not', () => {
    fc.assert(
      fc.property(regNakReason, padOptions, (reason, options) => {
        const bytes = encodeRegNak(reason, options);
        expect(bytes.length).toBeGreaterThanOrEqual(options.padTo ?? 2);
        expect(classifyDatagram(bytes)).toBe(DatagramKind.SrtlaRegNak);
        expect(decodeRegNak(bytes)).toBe(reason);
        expect(decodeRegNak(bytes)).toBe(decodeRegNak(encodeRegNak(reason)));
      }),
      RUNS,
    );
  });

  it('REG_NAK whose reason starts with U+FEFF keeps it (regression: the BOM was swallowed)', () => {
    expect(decodeRegNak(encodeRegNak('\uFEFFbanned'))).toBe('\uFEFFbanned');
  });

  it('SRTLA ACK with any number of sequence numbers (0..64)', () => {
    fc.assert(
      fc.property(fc.array(seq, { maxLength: 64, size: 'max' }), (seqs) => {
        const bytes = encodeSrtlaAck(seqs);
        expect(bytes.length).toBe(4 + 4 * seqs.length);
        expect(bytes[2]).toBe(0);
        expect(bytes[3]).toBe(0);
        expect(classifyDatagram(bytes)).toBe(DatagramKind.SrtlaAck);
        expect(srtlaAckCount(bytes)).toBe(seqs.length);
        expect(decodeSrtlaAck(bytes)).toStrictEqual(seqs);
        seqs.forEach((s, index) => {
          expect(peekSrtlaAckSeq(bytes, index)).toBe(s);
        });
      }),
      RUNS,
    );
  });

  it('writeSrtlaAck into a reused buffer writes the same bytes as encodeSrtlaAck', () => {
    fc.assert(
      fc.property(
        fc.array(seq, { maxLength: 64, size: 'max' }),
        fc.uint8Array({ minLength: 260, maxLength: 300 }),
        (seqs, dirty) => {
          const length = writeSrtlaAck(dirty, seqs, seqs.length);
          expect(length).toBe(4 + 4 * seqs.length);
          expect(dirty.subarray(0, length)).toStrictEqual(encodeSrtlaAck(seqs));
        },
      ),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Keepalives and the bond trailer
// ---------------------------------------------------------------------------------------------

describe('keepalive round trips', () => {
  it('bare: 2 bytes, decodes to no fields', () => {
    const bytes = encodeKeepalive({});
    expect(bytes.length).toBe(KEEPALIVE_BARE_LENGTH);
    expect(decodeKeepalive(bytes)).toStrictEqual({});
    expect(peekKeepaliveTimestamp(bytes)).toBeUndefined();
  });

  it('bare padded to 32 decodes as timestamp 0 (protocol.md 5: any keepalive >= 10 bytes has one)', () => {
    const bytes = encodeKeepalive({}, PADDED);
    expect(bytes.length).toBe(SRTLA_PADDED_REPLY_LENGTH);
    expect(zeroFrom(bytes, 2)).toBe(true);
    expect(decodeKeepalive(bytes)).toStrictEqual({ timestampMs: 0 });
  });

  it('timestamped, integer milliseconds in [0, 2^53 - 1], padded to 32 or not', () => {
    fc.assert(
      fc.property(timestampedKeepalive, padOptions, (keepalive, options) => {
        const bytes = encodeKeepalive(keepalive, options);
        expect(bytes.length).toBe(Math.max(KEEPALIVE_TIMESTAMPED_LENGTH, options.padTo ?? 0));
        expect(isExtendedKeepalive(bytes)).toBe(false);
        expect(decodeKeepalive(bytes)).toStrictEqual(keepalive);
        expect(peekKeepaliveTimestamp(bytes)).toBe(keepalive.timestampMs);
      }),
      RUNS,
    );
  });

  it('timestamp extremes survive the u64 split', () => {
    for (const ms of [0, 1, 0xffffffff, 0x1_0000_0000, 0x1_0000_0001, Number.MAX_SAFE_INTEGER]) {
      expect(decodeKeepalive(encodeKeepalive({ timestampMs: ms }))).toStrictEqual({
        timestampMs: ms,
      });
    }
  });

  it('extended v1 with connection info (window and inFlight are i32)', () => {
    fc.assert(
      fc.property(extendedKeepalive, padOptions, (keepalive, options) => {
        const bytes = encodeKeepalive(keepalive, options);
        expect(bytes.length).toBe(KEEPALIVE_EXTENDED_LENGTH);
        expect(isExtendedKeepalive(bytes)).toBe(true);
        expect(decodeKeepalive(bytes)).toStrictEqual(keepalive);
      }),
      RUNS,
    );
  });

  it('extended v1 + bond trailer with SenderTelemetry', () => {
    fc.assert(
      fc.property(
        timestampMs,
        connectionInfo,
        senderTrailer,
        padOptions,
        (ms, info, trailer, options) => {
          const keepalive: SrtlaKeepalive = { timestampMs: ms, info, trailer };
          const bytes = encodeKeepalive(keepalive, options);
          expect(bytes[BOND_TRAILER_OFFSET]).toBe(BOND_TRAILER_MAGIC >>> 8);
          expect(bytes[BOND_TRAILER_OFFSET + 1]).toBe(BOND_TRAILER_MAGIC & 0xff);
          expect(decodeKeepalive(bytes)).toStrictEqual(keepalive);
          expect(decodeBondTrailerAt(bytes)).toStrictEqual(trailer);
        },
      ),
      RUNS,
    );
  });

  it('extended v1 + bond trailer with ReceiverReport', () => {
    fc.assert(
      fc.property(
        timestampMs,
        connectionInfo,
        receiverTrailer,
        padOptions,
        (ms, info, trailer, options) => {
          const keepalive: SrtlaKeepalive = { timestampMs: ms, info, trailer };
          const bytes = encodeKeepalive(keepalive, options);
          expect(decodeKeepalive(bytes)).toStrictEqual(keepalive);
          expect(decodeBondTrailerAt(bytes)).toStrictEqual(trailer);
        },
      ),
      RUNS,
    );
  });

  it('extended v1 + bond trailer with an empty body', () => {
    const keepalive: SrtlaKeepalive = {
      timestampMs: 5,
      info: { connId: 1, window: -1, inFlight: 2, rttMs: 3, nakCount: 4, bitrateBytesPerSec: 5 },
      trailer: { body: 'none' },
    };
    expect(decodeKeepalive(encodeKeepalive(keepalive))).toStrictEqual(keepalive);
  });

  it('bond trailer protobuf message on its own', () => {
    fc.assert(
      fc.property(bondTrailer, (trailer) => {
        expect(decodeBondTrailerMessage(encodeBondTrailerMessage(trailer))).toStrictEqual(trailer);
      }),
      RUNS,
    );
  });

  it('a link name over 64 UTF-8 bytes decodes as its longest whole-character prefix that fits', () => {
    const longName = fc
      .tuple(
        fc.constantFrom('', '\uFEFF', '\u00e9', '\u{1F600}'),
        fc.string({ unit: 'binary', minLength: 10, maxLength: 80, size: 'max' }),
      )
      .map(([head, tail]) => head + tail);
    const utf8 = new TextEncoder();
    fc.assert(
      fc.property(senderTelemetry, longName, (sender, linkName) => {
        const decoded = decodeBondTrailerMessage(
          encodeBondTrailerMessage({ body: 'sender', sender: { ...sender, linkName } }),
        );
        const name = decoded.body === 'sender' ? decoded.sender.linkName : undefined;
        expect(name).toBe(truncateLinkName(linkName));
        const cut = name ?? '';
        expect(linkName.startsWith(cut)).toBe(true);
        expect(utf8.encode(cut).length).toBeLessThanOrEqual(BOND_LINK_NAME_MAX_BYTES);
        if (cut !== linkName) {
          const next = String.fromCodePoint(linkName.codePointAt(cut.length) ?? 0);
          expect(utf8.encode(cut + next).length).toBeGreaterThan(BOND_LINK_NAME_MAX_BYTES);
        }
      }),
      RUNS,
    );
  });

  it('echo keeps bytes 0-37 and replaces the trailer with a ReceiverReport that decodes back', () => {
    const received = fc.oneof(extendedKeepalive, bondKeepalive);
    fc.assert(
      fc.property(received, receiverTrailer, padOptions, (keepalive, report, options) => {
        const bytes = encodeKeepalive(keepalive);
        const echo = encodeKeepaliveEcho(bytes, report, options);
        expect(echo.subarray(0, KEEPALIVE_EXTENDED_LENGTH)).toStrictEqual(
          bytes.subarray(0, KEEPALIVE_EXTENDED_LENGTH),
        );
        expect(decodeKeepalive(echo)).toStrictEqual({
          timestampMs: keepalive.timestampMs,
          info: keepalive.info,
          trailer: report,
        });
      }),
      RUNS,
    );
  });

  it('echo of a keepalive that is not extended v1, or with no report, is byte for byte (padded)', () => {
    const notExtended = fc.oneof(bareKeepalive, timestampedKeepalive);
    const cases = fc.oneof(
      fc.tuple(notExtended, fc.option(receiverTrailer, { nil: undefined })),
      fc.tuple(anyKeepalive, fc.constant(undefined)),
    );
    fc.assert(
      fc.property(cases, padOptions, ([keepalive, report], options) => {
        const bytes = encodeKeepalive(keepalive);
        const echo = encodeKeepaliveEcho(bytes, report, options);
        expect(echo.length).toBe(Math.max(bytes.length, options.padTo ?? 0));
        expect(echo.subarray(0, bytes.length)).toStrictEqual(bytes);
        expect(zeroFrom(echo, bytes.length)).toBe(true);
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The SRTLA union
// ---------------------------------------------------------------------------------------------

describe('encodeSrtla / decodeSrtla', () => {
  it('round-trips every SRTLA packet', () => {
    fc.assert(
      fc.property(srtlaPacket, (packet) => {
        expect(decodeSrtla(encodeSrtla(packet))).toStrictEqual(packet);
      }),
      { numRuns: 400 },
    );
  });

  it('padded to 32, every packet but the bare keepalive decodes the same as unpadded', () => {
    const notBare = srtlaPacket.filter(
      (p) => !(p.type === 'keepalive' && p.keepalive.timestampMs === undefined),
    );
    fc.assert(
      fc.property(notBare, (packet) => {
        const padded = encodeSrtla(packet, PADDED);
        expect(padded.length).toBeGreaterThanOrEqual(
          packet.type === 'ack' ? 4 : SRTLA_PADDED_REPLY_LENGTH,
        );
        expect(decodeSrtla(padded)).toStrictEqual(packet);
      }),
      { numRuns: 400 },
    );
  });

  it('the type of every encoded packet is its SRTLA type', () => {
    const types: Record<SrtlaPacket['type'], number> = {
      keepalive: SRTLA_TYPE.KEEPALIVE,
      ack: SRTLA_TYPE.ACK,
      reg1: SRTLA_TYPE.REG1,
      reg2: SRTLA_TYPE.REG2,
      reg3: SRTLA_TYPE.REG3,
      'reg-err': SRTLA_TYPE.REG_ERR,
      'reg-ngp': SRTLA_TYPE.REG_NGP,
      'reg-nak': SRTLA_TYPE.REG_NAK,
    };
    fc.assert(
      fc.property(srtlaPacket, (packet) => {
        const bytes = encodeSrtla(packet);
        expect(((bytes[0] ?? -1) << 8) | (bytes[1] ?? -1)).toBe(types[packet.type]);
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Sequence arithmetic
// ---------------------------------------------------------------------------------------------

describe('31-bit sequence helpers', () => {
  const distance = fc.integer({ min: -SEQ_HALF, max: SEQ_HALF - 1 });

  it('seqAdd stays in [0, 2^31) and is periodic in 2^31', () => {
    fc.assert(
      fc.property(seq, fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), (a, delta) => {
        const sum = seqAdd(a, delta);
        expect(isSeq(sum)).toBe(true);
        expect(seqAdd(a, delta + SEQ_MODULUS)).toBe(sum);
        expect(seqAdd(a, delta - SEQ_MODULUS)).toBe(sum);
        expect(sum).toBe((((a + delta) % SEQ_MODULUS) + SEQ_MODULUS) % SEQ_MODULUS);
      }),
      RUNS,
    );
  });

  it('seqAdd(a, seqDistance(a, b)) === b, and the distance lies in [-2^30, 2^30)', () => {
    fc.assert(
      fc.property(seq, seq, (a, b) => {
        const d = seqDistance(a, b);
        expect(d).toBeGreaterThanOrEqual(-SEQ_HALF);
        expect(d).toBeLessThan(SEQ_HALF);
        expect(seqAdd(a, d)).toBe(b);
      }),
      RUNS,
    );
  });

  it('seqDistance(a, seqAdd(a, d)) === d for d in [-2^30, 2^30)', () => {
    fc.assert(
      fc.property(seq, distance, (a, d) => {
        expect(seqDistance(a, seqAdd(a, d))).toBe(d);
      }),
      RUNS,
    );
  });

  it('seqCompare is antisymmetric unless exactly 2^30 apart', () => {
    fc.assert(
      fc.property(seq, seq, (a, b) => {
        fc.pre(seqDistance(a, b) !== -SEQ_HALF);
        expect(Math.sign(seqCompare(a, b)) + Math.sign(seqCompare(b, a))).toBe(0);
        expect(seqCompare(a, b) === 0).toBe(a === b);
      }),
      RUNS,
    );
  });

  it('seqCompare at exactly 2^30 apart: neither is before the other, both orders positive', () => {
    fc.assert(
      fc.property(seq, (a) => {
        const b = seqAdd(a, SEQ_HALF);
        expect(seqCompare(a, b)).toBeGreaterThan(0);
        expect(seqCompare(b, a)).toBeGreaterThan(0);
        expect(seqLessThan(a, b)).toBe(false);
        expect(seqLessThan(b, a)).toBe(false);
      }),
      RUNS,
    );
  });

  it('seqLessThan, seqLessOrEqual, seqMax and seqMin agree with seqDistance', () => {
    fc.assert(
      fc.property(seq, seq, (a, b) => {
        const d = seqDistance(a, b);
        expect(seqLessThan(a, b)).toBe(d > 0);
        expect(seqLessOrEqual(a, b)).toBe(d >= 0);
        expect(seqCompare(a, b) < 0).toBe(d > 0);
        expect(seqMax(a, b)).toBe(d > 0 ? b : a);
        expect(seqMin(a, b)).toBe(d > 0 ? a : b);
      }),
      RUNS,
    );
  });

  it('seqLessThan is transitive within half the space, across the wrap too', () => {
    const step = fc.integer({ min: 1, max: SEQ_HALF / 2 - 1 });
    fc.assert(
      fc.property(seq, step, step, (a, d1, d2) => {
        const b = seqAdd(a, d1);
        const c = seqAdd(b, d2);
        expect(seqLessThan(a, b)).toBe(true);
        expect(seqLessThan(b, c)).toBe(true);
        expect(seqLessThan(a, c)).toBe(true);
        expect(seqLessThan(c, a)).toBe(false);
      }),
      RUNS,
    );
  });

  it('sorting with seqCompare orders a window that straddles the wrap', () => {
    fc.assert(
      fc.property(
        seq,
        fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { maxLength: 30, size: 'max' }),
        (base, offsets) => {
          const seqs = offsets.map((o) => seqAdd(base, o));
          const sorted = [...seqs].sort(seqCompare);
          const expected = [...offsets].sort((x, y) => x - y).map((o) => seqAdd(base, o));
          expect(sorted).toStrictEqual(expected);
        },
      ),
      RUNS,
    );
  });

  it('worked examples across the wrap', () => {
    expect(seqAdd(0x7fffffff, 1)).toBe(0);
    expect(seqAdd(0, -1)).toBe(0x7fffffff);
    expect(seqAdd(0x7ffffffe, 3)).toBe(1);
    expect(seqAdd(5, -SEQ_MODULUS)).toBe(5);
    // Regression: `%` of a negative multiple of 2^31 is -0, which seqAdd returned as is.
    expect(seqAdd(9, -9 - SEQ_MODULUS)).toBe(0);
    expect(seqAdd(0, -SEQ_MODULUS)).toBe(0);
    expect(seqDistance(0x7ffffffe, 1)).toBe(3);
    expect(seqDistance(1, 0x7ffffffe)).toBe(-3);
    expect(seqDistance(0x7fffffff, 0)).toBe(1);
    expect(seqDistance(0, SEQ_HALF)).toBe(-SEQ_HALF);
    expect(seqDistance(0, SEQ_HALF - 1)).toBe(SEQ_HALF - 1);
    expect(seqLessThan(0x7fffffff, 0)).toBe(true);
    expect(seqLessThan(0, 0x7fffffff)).toBe(false);
    expect(seqLessOrEqual(3, 3)).toBe(true);
    expect(seqCompare(0x7fffffff, 0)).toBeLessThan(0);
    expect(seqCompare(0, 0x7fffffff)).toBeGreaterThan(0);
    expect(seqMax(0x7fffffff, 5)).toBe(5);
    expect(seqMin(0x7fffffff, 5)).toBe(0x7fffffff);
    expect([2, 0x7ffffffe, 0, 0x7fffffff, 1].sort(seqCompare)).toStrictEqual([
      0x7ffffffe, 0x7fffffff, 0, 1, 2,
    ]);
    expect(expandLossList([{ first: 0x7ffffffe, last: 1 }])).toStrictEqual([
      0x7ffffffe, 0x7fffffff, 0, 1,
    ]);
    expect(isSeq(SEQ_MAX)).toBe(true);
    expect(isSeq(SEQ_MODULUS)).toBe(false);
    expect(isSeq(-1)).toBe(false);
  });
});
