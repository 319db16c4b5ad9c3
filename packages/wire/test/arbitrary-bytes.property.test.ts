/**
 * Decoders on hostile input: any datagram off the network, of any length up to an MTU, either
 * decodes or throws `WireDecodeError` (conventions.md, "Codecs"); never a RangeError, a TypeError or
 * an out-of-bounds read. Generators are biased towards each decoder's own type bytes, valid
 * encodings with a few bytes changed, and bond trailers with protobuf-shaped junk, so the checks
 * past the first two bytes get exercised too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BOND_TRAILER_MAGIC,
  BOND_TRAILER_MAX_LENGTH,
  BOND_TRAILER_VERSION,
  DATAGRAM_KIND_NAMES,
  DatagramKind,
  KEEPALIVE_EXTENDED_MAGIC,
  KEEPALIVE_EXTENDED_VERSION,
  NAK_EXPANSION_LIMIT,
  SEQ_HALF,
  SEQ_MAX,
  SEQ_MODULUS,
  SRTLA_ID_LENGTH,
  SRTLA_TYPE,
  SRT_CONTROL,
  WireDecodeError,
  classifyDatagram,
  decodeBondTrailerAt,
  decodeBondTrailerMessage,
  decodeKeepalive,
  decodeReg1,
  decodeReg2,
  decodeRegNak,
  decodeSrtAck,
  decodeSrtControl,
  decodeSrtControlOf,
  decodeSrtDataHeader,
  decodeSrtHandshake,
  decodeSrtNak,
  decodeSrtShutdown,
  decodeSrtla,
  decodeSrtlaAck,
  encodeBondTrailerMessage,
  encodeKeepalive,
  encodeReg1,
  encodeReg2,
  encodeRegNak,
  encodeSrtAck,
  encodeSrtHandshake,
  encodeSrtNak,
  encodeSrtlaAck,
  expandLossList,
  forEachLostSeq,
  isExtendedKeepalive,
  isSeq,
  isSrtControl,
  isSrtData,
  isSrtlaAck,
  peekKeepaliveTimestamp,
  peekSrtAckSeq,
  peekSrtControlType,
  peekSrtDataSeq,
  peekSrtRetransmitted,
  peekSrtTimestamp,
  peekSrtlaAckSeq,
  seqAdd,
  srtlaAckCount,
  type BondTrailer,
  type SeqRange,
  type SrtlaPacket,
} from '../src/index.js';

// Runs per decoder and property: together the file stays around 2 s on a laptop.
const RUNS = 300;

/**
 * Parameters for `fc.assert`. A passing property here takes well under a second; the time limit only
 * stops a failing one from spending minutes shrinking 1500-byte counterexamples (it then fails with
 * the smallest counterexample found so far).
 */
function runs(numRuns: number): fc.Parameters<unknown> {
  return { numRuns, plugins: [fc.interruptAfterTimeLimit(30_000, { failOnInterrupt: true })] };
}

// ---------------------------------------------------------------------------------------------
// Byte helpers
// ---------------------------------------------------------------------------------------------

type Part = Uint8Array | readonly number[];

function concat(...parts: readonly Part[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function u16be(value: number): number[] {
  return [(value >>> 8) & 0xff, value & 0xff];
}

function u32be(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

/** Protobuf base-128 varint of a non-negative integer up to 2^53. */
function varint(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

/** Runs `decode`; a WireDecodeError is a rejection (checked for sanity), anything else escapes. */
function attempt<T>(
  bytes: Uint8Array,
  decode: (bytes: Uint8Array) => T,
): { readonly ok: true; readonly value: T } | { readonly ok: false } {
  try {
    return { ok: true, value: decode(bytes) };
  } catch (error) {
    if (!(error instanceof WireDecodeError)) throw error;
    expect(error.code).toBe('BOND_ERR_WIRE_DECODE');
    expect(error.name).toBe('WireDecodeError');
    expect(error.what.length).toBeGreaterThan(0);
    expect(error.reason.length).toBeGreaterThan(0);
    expect(Number.isInteger(error.offset)).toBe(true);
    expect(error.offset).toBeGreaterThanOrEqual(0);
    expect(error.offset).toBeLessThanOrEqual(bytes.length);
    return { ok: false };
  }
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const seq = fc.integer({ min: 0, max: SEQ_MAX });
const byte = fc.integer({ min: 0, max: 255 });
// size 'max': without it fast-check stops at 10 elements whatever maxLength says.
const bytesUpTo = (maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ maxLength, size: 'max' });
const exactly = (length: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: length, maxLength: length });

/** Anything a socket can hand over: 0 to 1500 bytes. */
const anyDatagram = fc.oneof(bytesUpTo(64), bytesUpTo(1500));

/** An SRT header with the given first u16 and random rest, followed by `body`. */
function srtControlWith(
  controlType: fc.Arbitrary<number>,
  body: fc.Arbitrary<Uint8Array>,
): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(controlType, exactly(14), body)
    .map(([type, header, rest]) => concat(u16be(type), header, rest));
}

/** A few bytes changed, then maybe cut short or lengthened: near-misses of valid encodings. */
function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      valid,
      fc.array(fc.tuple(fc.nat(), byte), { maxLength: 4 }),
      fc.option(fc.nat(), { nil: undefined }),
      bytesUpTo(8),
    )
    .map(([bytes, edits, cut, extra]) => {
      const out = bytes.slice();
      for (const [at, value] of edits) if (out.length > 0) out[at % out.length] = value;
      const kept = cut === undefined ? out : out.subarray(0, cut % (out.length + 1));
      return cut !== undefined && cut % 2 === 1 ? concat(kept, extra) : kept;
    });
}

const rangeStart = (s: number): number[] => u32be((s | 0x80000000) >>> 0);

/** Loss-list entries a NAK may carry: singles, ranges (short, wrapping, 2^30 - 1 long). */
const validLossEntry = fc.oneof(
  { weight: 4, arbitrary: seq.map((s) => u32be(s)) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(seq, fc.integer({ min: 0, max: 100 }))
      .map(([s, n]) => [...rangeStart(s), ...u32be(seqAdd(s, n))]),
  },
  {
    weight: 1,
    arbitrary: seq.map((s) => [...rangeStart(s), ...u32be(seqAdd(s, SEQ_HALF - 1))]),
  },
);

/** Entries a NAK must not carry: backwards or 2^30-long ranges, unterminated ranges, junk. */
const badLossEntry = fc.oneof(
  fc
    .tuple(seq, fc.integer({ min: -100, max: -1 }))
    .map(([s, n]) => [...rangeStart(s), ...u32be(seqAdd(s, n))]),
  seq.map((s) => [...rangeStart(s), ...u32be(seqAdd(s, SEQ_HALF))]),
  seq.map((s) => [...rangeStart(s), ...rangeStart(seqAdd(s, 1))]),
  seq.map((s) => rangeStart(s)),
  u32.map((v) => u32be(v)),
);

/** Valid entries with exactly one bad entry somewhere: that one entry decides. */
const oneBadEntryAmongValid = fc
  .tuple(fc.array(validLossEntry, { maxLength: 20, size: 'max' }), badLossEntry, fc.nat())
  .map(([entries, bad, at]) => {
    const index = at % (entries.length + 1);
    return [...entries.slice(0, index), bad, ...entries.slice(index)];
  });

const lossEntries: fc.Arbitrary<Uint8Array> = fc
  .oneof(
    { weight: 3, arbitrary: fc.array(validLossEntry, { maxLength: 40, size: 'max' }) },
    { weight: 2, arbitrary: oneBadEntryAmongValid },
    fc.array(fc.oneof(validLossEntry, badLossEntry), { maxLength: 40, size: 'max' }),
  )
  .map((entries) => concat(...entries));

/** 0x80 0x03 (NAK), a random header, a loss list, sometimes a ragged tail. */
const nakDatagram = srtControlWith(
  fc.constant(SRT_CONTROL.NAK),
  fc
    .tuple(lossEntries, fc.oneof({ weight: 4, arbitrary: bytesUpTo(0) }, bytesUpTo(3)))
    .map(([list, tail]) => concat(list, tail)),
);

const ackDatagram = srtControlWith(fc.constant(SRT_CONTROL.ACK), bytesUpTo(40));
const handshakeDatagram = srtControlWith(fc.constant(SRT_CONTROL.HANDSHAKE), bytesUpTo(160));
const shutdownDatagram = srtControlWith(fc.constant(SRT_CONTROL.SHUTDOWN), bytesUpTo(8));
const anyControlDatagram = srtControlWith(
  fc.oneof(fc.constantFrom(...Object.values(SRT_CONTROL)), fc.integer({ min: 0, max: 0xffff })),
  bytesUpTo(64),
);
const dataDatagram = fc
  .tuple(fc.integer({ min: 0, max: 0x7f }), bytesUpTo(1400))
  .map(([first, rest]) => concat([first], rest));

/** Well-formed trailers, whose encodings get mutated below. */
const validTrailer: fc.Arbitrary<BondTrailer> = fc.oneof(
  fc
    .tuple(u32, fc.string({ maxLength: 70, size: 'max' }), fc.maxSafeNat())
    .map(([linkId, linkName, bytesSent]): BondTrailer => ({
      body: 'sender',
      sender: {
        linkId,
        linkName,
        interfaceKind: 'cellular',
        priority: 100,
        srttUs: linkId,
        rttvarUs: 1,
        window: 20000,
        inFlight: 3,
        packetsSent: bytesSent,
        bytesSent,
        packetsNaked: 0,
        packetsRetransmitted: 1,
        sendRateBytesPerSec: 2,
        sharePermille: 500,
        capabilities: 1,
      },
    })),
  fc.tuple(u32, fc.maxSafeNat()).map(([linkId, gaps]): BondTrailer => ({
    body: 'receiver',
    receiver: {
      linkId,
      packetsReceived: gaps,
      bytesReceived: 2,
      deliveryRateBytesPerSec: 3,
      queueingDelayUs: linkId,
      delayOffsetUs: 5,
      gaps,
      duplicates: 6,
      reordered: 7,
      maxReorderDistance: 8,
      scorePermille: 500,
      advisoryWeightPermille: 1000,
      capabilities: 3,
    },
  })),
);

const validTrailerMessage = validTrailer.map((trailer) => encodeBondTrailerMessage(trailer));

/** `value` one time in five, otherwise undefined. */
function rarely<T>(value: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, value);
}

/** Protobuf-shaped bytes: valid and lying lengths, every wire type, nested sender/receiver. */
const protobufField: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .tuple(fc.integer({ min: 1, max: 16 }), fc.oneof(u32, fc.maxSafeNat()))
    .map(([field, value]) => concat(varint(field * 8), varint(value))),
  fc
    .tuple(fc.integer({ min: 1, max: 16 }), bytesUpTo(40), rarely(fc.integer({ min: 0, max: 300 })))
    .map(([field, body, lie]) => concat(varint(field * 8 + 2), varint(lie ?? body.length), body)),
  fc
    .tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 7 }), bytesUpTo(12))
    .map(([field, wireType, junk]) => concat(varint(field * 8 + wireType), junk)),
  fc.constant(concat([0x08], new Array<number>(11).fill(0xff))),
);
const protobufFields = fc
  .array(protobufField, { maxLength: 12, size: 'max' })
  .map((fields) => concat(...fields));
const protobufMessage: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.oneof(
      fc
        .tuple(fc.constantFrom(1, 2), protobufFields)
        .map(([field, inner]) => concat(varint(field * 8 + 2), varint(inner.length), inner)),
      protobufField,
    ),
    { maxLength: 3 },
  )
  .map((parts) => concat(...parts));

/** A trailer header (mostly well-formed) followed by a protobuf-ish message. */
const trailerBytes: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(BOND_TRAILER_MAGIC) },
      fc.integer({ min: 0, max: 0xffff }),
    ),
    fc.oneof({ weight: 4, arbitrary: fc.constant(BOND_TRAILER_VERSION) }, byte),
    byte,
    fc.oneof(
      { weight: 2, arbitrary: validTrailerMessage },
      mutated(validTrailerMessage),
      protobufMessage,
      mutated(protobufMessage),
      bytesUpTo(200),
    ),
    // How far L is off the message's true length: mostly not, often by one or two, or anything.
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(0) },
      { weight: 2, arbitrary: fc.integer({ min: -2, max: 2 }) },
      fc.integer({ min: -0xffff, max: 0xffff }),
    ),
  )
  .map(([magic, version, reserved, message, skew]) =>
    concat(u16be(magic), [version, reserved], u16be((message.length + skew) & 0xffff), message),
  );

/** 0x90 0x00, a timestamp, mostly the extended magic and version, then maybe a bond trailer. */
const keepaliveDatagram: fc.Arbitrary<Uint8Array> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        exactly(8),
        fc.oneof(
          {
            weight: 4,
            arbitrary: fc.constant(
              concat(u16be(KEEPALIVE_EXTENDED_MAGIC), u16be(KEEPALIVE_EXTENDED_VERSION)),
            ),
          },
          exactly(4),
        ),
        exactly(24),
        fc.oneof({ weight: 4, arbitrary: trailerBytes }, bytesUpTo(20)),
      )
      .map(([timestamp, magic, info, rest]) =>
        concat(u16be(SRTLA_TYPE.KEEPALIVE), timestamp, magic, info, rest),
      ),
  },
  bytesUpTo(60).map((rest) => concat(u16be(SRTLA_TYPE.KEEPALIVE), rest)),
);

const srtlaTypeAny = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...Object.values(SRTLA_TYPE)) },
  fc.integer({ min: 0x9000, max: 0x9fff }),
);

/** An SRTLA type, then a body of a telling length (256, 4k, short) or any length. */
const srtlaDatagram: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    srtlaTypeAny,
    fc.oneof(
      exactly(SRTLA_ID_LENGTH),
      fc.integer({ min: 0, max: 64 }).chain((k) => exactly(2 + 4 * k)),
      bytesUpTo(40),
      bytesUpTo(400),
    ),
  )
  .map(([type, body]) => concat(u16be(type), body));

/** The given SRTLA type with a body of the length it is valid at half the time, else any SRTLA. */
function srtlaOf(type: number, body: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    body.map((rest) => concat(u16be(type), rest)),
    srtlaDatagram,
  );
}
const reg1Datagram = srtlaOf(SRTLA_TYPE.REG1, exactly(SRTLA_ID_LENGTH));
const reg2Datagram = srtlaOf(SRTLA_TYPE.REG2, exactly(SRTLA_ID_LENGTH));
const srtlaAckDatagram = srtlaOf(
  SRTLA_TYPE.ACK,
  fc.integer({ min: 0, max: 64 }).chain((k) => exactly(2 + 4 * k)),
);

/** REG_NAKs with any reason, padded, sometimes with junk after; and 0x92 0x12 with junk. */
const regNakDatagram: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .tuple(
      fc.string({ unit: 'binary', maxLength: 40, size: 'max' }),
      fc.integer({ min: 0, max: 40 }),
      bytesUpTo(20),
    )
    .map(([reason, padTo, junk]) => concat(encodeRegNak(reason, { padTo }), junk)),
  bytesUpTo(60).map((junk) => concat(u16be(SRTLA_TYPE.REG_NAK), junk)),
);

/** Valid encodings of many message types, to be mutated. */
const validDatagram: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .tuple(
      u32,
      fc.array(fc.tuple(seq, fc.integer({ min: 0, max: SEQ_HALF - 1 })), {
        maxLength: 12,
        size: 'max',
      }),
    )
    .map(([timestamp, pairs]) =>
      encodeSrtNak({
        typeSpecific: 0,
        timestamp,
        destinationSocketId: 1,
        ranges: pairs.map(([first, length]): SeqRange => ({ first, last: seqAdd(first, length) })),
      }),
    ),
  fc.tuple(seq, u32, u32).map(([ackSeq, rttUs, rttVarianceUs]) =>
    encodeSrtAck({
      ackNumber: 1,
      timestamp: 2,
      destinationSocketId: 3,
      ackSeq,
      rttUs,
      rttVarianceUs,
    }),
  ),
  fc.tuple(u32, bytesUpTo(48)).map(([handshakeType, extensions]) =>
    encodeSrtHandshake({
      timestamp: 0,
      destinationSocketId: 0,
      version: 5,
      encryption: 0,
      extension: 0x4a17,
      initialSeq: 1,
      mtu: 1500,
      flowWindow: 8192,
      handshakeType,
      socketId: 9,
      cookie: 10,
      peerIp: new Uint8Array(16),
      extensions,
    }),
  ),
  fc.array(seq, { maxLength: 12, size: 'max' }).map((seqs) => encodeSrtlaAck(seqs)),
  exactly(SRTLA_ID_LENGTH).map((id) => encodeReg1(id)),
  exactly(SRTLA_ID_LENGTH).map((id) => encodeReg2(id)),
  fc.string({ maxLength: 30, size: 'max' }).map((reason) => encodeRegNak(reason)),
  fc
    .tuple(fc.maxSafeNat(), u32, fc.option(validTrailer, { nil: undefined }))
    .map(([timestampMs, connId, trailer]) =>
      encodeKeepalive(
        trailer === undefined
          ? {
              timestampMs,
              info: {
                connId,
                window: -1,
                inFlight: 2,
                rttMs: 3,
                nakCount: 4,
                bitrateBytesPerSec: 5,
              },
            }
          : {
              timestampMs,
              info: {
                connId,
                window: 1,
                inFlight: -2,
                rttMs: 3,
                nakCount: 4,
                bitrateBytesPerSec: 5,
              },
              trailer,
            },
      ),
    ),
);

const nearMiss = mutated(validDatagram);

/** Everything above, mixed: what each decoder gets besides its own biased generator. */
const datagram: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: anyDatagram },
  { weight: 3, arbitrary: nearMiss },
  { weight: 1, arbitrary: nakDatagram },
  { weight: 1, arbitrary: ackDatagram },
  { weight: 1, arbitrary: handshakeDatagram },
  { weight: 1, arbitrary: shutdownDatagram },
  { weight: 1, arbitrary: anyControlDatagram },
  { weight: 1, arbitrary: dataDatagram },
  { weight: 2, arbitrary: srtlaDatagram },
  { weight: 2, arbitrary: keepaliveDatagram },
  { weight: 1, arbitrary: bytesUpTo(20) },
);

// ---------------------------------------------------------------------------------------------
// Every decoder: nothing but WireDecodeError
// ---------------------------------------------------------------------------------------------

interface DecoderCase {
  readonly name: string;
  readonly decode: (bytes: Uint8Array) => unknown;
  /** Inputs that start like what this decoder expects. */
  readonly biased: fc.Arbitrary<Uint8Array>;
}

const decoders: readonly DecoderCase[] = [
  { name: 'decodeSrtDataHeader', decode: decodeSrtDataHeader, biased: dataDatagram },
  { name: 'decodeSrtControl', decode: (b) => decodeSrtControl(b), biased: anyControlDatagram },
  {
    name: 'decodeSrtControlOf',
    decode: (b) => decodeSrtControlOf(b, SRT_CONTROL.ACKACK, 'SRT ACKACK'),
    biased: srtControlWith(fc.constant(SRT_CONTROL.ACKACK), bytesUpTo(16)),
  },
  { name: 'decodeSrtAck', decode: decodeSrtAck, biased: ackDatagram },
  { name: 'decodeSrtNak', decode: decodeSrtNak, biased: nakDatagram },
  { name: 'decodeSrtHandshake', decode: decodeSrtHandshake, biased: handshakeDatagram },
  { name: 'decodeSrtShutdown', decode: decodeSrtShutdown, biased: shutdownDatagram },
  { name: 'decodeReg1', decode: decodeReg1, biased: reg1Datagram },
  { name: 'decodeReg2', decode: decodeReg2, biased: reg2Datagram },
  { name: 'decodeRegNak', decode: decodeRegNak, biased: regNakDatagram },
  { name: 'decodeSrtlaAck', decode: decodeSrtlaAck, biased: srtlaAckDatagram },
  { name: 'decodeKeepalive', decode: decodeKeepalive, biased: keepaliveDatagram },
  { name: 'decodeBondTrailerAt', decode: decodeBondTrailerAt, biased: keepaliveDatagram },
  {
    name: 'decodeBondTrailerMessage',
    decode: (b) => decodeBondTrailerMessage(b),
    biased: fc.oneof(protobufMessage, mutated(protobufMessage), mutated(validTrailerMessage)),
  },
  { name: 'decodeSrtla', decode: decodeSrtla, biased: fc.oneof(srtlaDatagram, keepaliveDatagram) },
];

describe('decoders on arbitrary bytes throw nothing but WireDecodeError', () => {
  it.each(decoders)('$name', ({ decode, biased }) => {
    let decoded = 0;
    let rejected = 0;
    fc.assert(
      fc.property(fc.oneof(datagram, biased), (bytes) => {
        if (attempt(bytes, decode).ok) decoded++;
        else rejected++;
      }),
      runs(RUNS),
    );
    // The generators must reach both outcomes, or the property says little.
    expect(decoded).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  });

  it('decodeSrtControlOf accepts exactly the packets of the asked type', () => {
    const controlType = fc.oneof(
      fc.constantFrom(...Object.values(SRT_CONTROL)),
      fc.integer({ min: 0, max: 0xffff }),
    );
    fc.assert(
      fc.property(datagram, controlType, fc.boolean(), (bytes, asked, fromBytes) => {
        const type = fromBytes && bytes.length >= 2 ? peekSrtControlType(bytes) : asked;
        const of = attempt(bytes, (b) => decodeSrtControlOf(b, type, 'SRT control'));
        const any = attempt(bytes, (b) => decodeSrtControl(b));
        expect(of.ok).toBe(any.ok && any.value.controlType === type);
        if (of.ok) expect(of.value.controlType).toBe(type);
      }),
      runs(RUNS),
    );
  });

  it('decodeBondTrailerMessage reports the offset it is given and decodes only known bodies', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          protobufMessage,
          mutated(protobufMessage),
          mutated(validTrailerMessage),
          anyDatagram,
        ),
        fc.integer({ min: 0, max: 1500 }),
        (message, offset) => {
          try {
            const trailer = decodeBondTrailerMessage(message, offset);
            expect(['sender', 'receiver', 'none']).toContain(trailer.body);
            if (trailer.body === 'sender') {
              expect(['unspecified', 'cellular', 'wifi', 'ethernet', 'other']).toContain(
                trailer.sender.interfaceKind,
              );
              expect(Number.isInteger(trailer.sender.packetsSent)).toBe(true);
              expect(trailer.sender.packetsSent).toBeGreaterThanOrEqual(0);
            }
          } catch (error) {
            if (!(error instanceof WireDecodeError)) throw error;
            expect(error.offset).toBe(offset);
          }
        },
      ),
      runs(RUNS),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// What the decoders accept is well-formed
// ---------------------------------------------------------------------------------------------

describe('decoded values from arbitrary bytes are well-formed', () => {
  it('NAK ranges are valid, and re-encode to the same NAK', () => {
    fc.assert(
      fc.property(fc.oneof(nakDatagram, mutated(nakDatagram)), (bytes) => {
        const result = attempt(bytes, decodeSrtNak);
        if (!result.ok) return;
        for (const { first, last } of result.value.ranges) {
          expect(isSeq(first)).toBe(true);
          expect(isSeq(last)).toBe(true);
          expect((last - first + SEQ_MODULUS) % SEQ_MODULUS).toBeLessThan(SEQ_HALF);
        }
        expect(decodeSrtNak(encodeSrtNak(result.value))).toStrictEqual(result.value);
      }),
      runs(RUNS),
    );
  });

  it('SRTLA ACK: one sequence number per u32 after the 4-byte header, all 31-bit', () => {
    fc.assert(
      fc.property(fc.oneof(srtlaAckDatagram, datagram), (bytes) => {
        const result = attempt(bytes, decodeSrtlaAck);
        expect(result.ok).toBe(isSrtlaAck(bytes));
        if (!result.ok) return;
        expect(result.value.length).toBe((bytes.length - 4) / 4);
        expect(result.value.every(isSeq)).toBe(true);
      }),
      runs(RUNS),
    );
  });

  it('keepalive: a timestamp exactly from 10 bytes on, info exactly when extended v1', () => {
    fc.assert(
      fc.property(fc.oneof(keepaliveDatagram, datagram), (bytes) => {
        const result = attempt(bytes, decodeKeepalive);
        if (!result.ok) return;
        expect(result.value.timestampMs !== undefined).toBe(bytes.length >= 10);
        expect(result.value.info !== undefined).toBe(isExtendedKeepalive(bytes));
        if (result.value.trailer !== undefined) {
          expect(isExtendedKeepalive(bytes)).toBe(true);
          expect(bytes[38]).toBe(BOND_TRAILER_MAGIC >>> 8);
          expect(bytes[39]).toBe(BOND_TRAILER_MAGIC & 0xff);
        }
      }),
      runs(RUNS),
    );
  });

  it('NAK: decodes exactly the loss lists protocol.md section 3 allows, to the same ranges', () => {
    /** Independent reading of the loss list; undefined when the list is malformed. */
    function lossListOracle(bytes: Uint8Array): SeqRange[] | undefined {
      if ((bytes.length - 16) % 4 !== 0) return undefined;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const words: number[] = [];
      for (let at = 16; at < bytes.length; at += 4) words.push(view.getUint32(at));
      const ranges: SeqRange[] = [];
      for (let i = 0; i < words.length; i++) {
        const word = words[i] ?? 0;
        if (word < 0x80000000) {
          ranges.push({ first: word, last: word });
          continue;
        }
        const last = words[++i];
        if (last === undefined || last >= 0x80000000) return undefined;
        const first = word - 0x80000000;
        if ((last - first + SEQ_MODULUS) % SEQ_MODULUS >= SEQ_HALF) return undefined;
        ranges.push({ first, last });
      }
      return ranges;
    }
    fc.assert(
      fc.property(nakDatagram, (bytes) => {
        const result = attempt(bytes, decodeSrtNak);
        const expected = lossListOracle(bytes);
        expect(result.ok).toBe(expected !== undefined);
        if (result.ok) expect(result.value.ranges).toStrictEqual(expected);
      }),
      runs(1000),
    );
  });

  it('bond trailer: absent without magic and version 1, rejected when L runs past the datagram', () => {
    fc.assert(
      fc.property(fc.oneof(keepaliveDatagram, datagram), (bytes) => {
        const result = attempt(bytes, decodeBondTrailerAt);
        const header =
          bytes.length >= 44 &&
          (((bytes[38] ?? 0) << 8) | (bytes[39] ?? 0)) === BOND_TRAILER_MAGIC &&
          bytes[40] === BOND_TRAILER_VERSION;
        if (!header) {
          expect(result).toStrictEqual({ ok: true, value: undefined });
          return;
        }
        const length = ((bytes[42] ?? 0) << 8) | (bytes[43] ?? 0);
        if (44 + length > bytes.length) {
          expect(result.ok).toBe(false);
          return;
        }
        const message = attempt(bytes.subarray(44, 44 + length), (m) =>
          decodeBondTrailerMessage(m),
        );
        expect(result).toStrictEqual(message);
      }),
      runs(1000),
    );
  });

  it('bond trailer: unknown fields are ignored, up to a 1200-byte trailer', () => {
    const unknownField = fc.oneof(
      fc
        .tuple(fc.integer({ min: 3, max: 2000 }), fc.maxSafeNat())
        .map(([field, value]) => concat(varint(field * 8), varint(value))),
      fc
        .tuple(fc.integer({ min: 3, max: 2000 }), bytesUpTo(300))
        .map(([field, body]) => concat(varint(field * 8 + 2), varint(body.length), body)),
      fc
        .tuple(fc.integer({ min: 3, max: 2000 }), exactly(4))
        .map(([field, body]) => concat(varint(field * 8 + 5), body)),
    );
    fc.assert(
      fc.property(
        validTrailer,
        fc.array(unknownField, { maxLength: 3, size: 'max' }),
        fc.boolean(),
        (trailer, unknown, before) => {
          const known = encodeBondTrailerMessage(trailer);
          const extra = concat(...unknown);
          const message = before ? concat(extra, known) : concat(known, extra);
          expect(6 + message.length).toBeLessThanOrEqual(BOND_TRAILER_MAX_LENGTH);
          const decoded = decodeBondTrailerMessage(message);
          expect(decoded).toStrictEqual(decodeBondTrailerMessage(known));
          expect(decoded.body).toBe(trailer.body);
        },
      ),
      runs(RUNS),
    );
  });

  it('REG1 and REG2 decode only at exactly 258 bytes, to a 256-byte id', () => {
    fc.assert(
      fc.property(fc.oneof(reg1Datagram, reg2Datagram, nearMiss), (bytes) => {
        for (const [decode, type] of [
          [decodeReg1, SRTLA_TYPE.REG1],
          [decodeReg2, SRTLA_TYPE.REG2],
        ] as const) {
          const result = attempt(bytes, decode);
          expect(result.ok).toBe(bytes.length === 258 && peekSrtControlType(bytes) === type);
          if (result.ok) expect(result.value).toStrictEqual(bytes.slice(2));
        }
      }),
      runs(RUNS),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// NAK expansion is bounded
// ---------------------------------------------------------------------------------------------

describe('expanding any decoded NAK', () => {
  /** Independent oracle: the first `limit` sequence numbers of `ranges`, by plain modular math. */
  function expectedLosses(ranges: readonly SeqRange[], limit: number): number[] {
    const out: number[] = [];
    for (const { first, last } of ranges) {
      const count = ((last - first + SEQ_MODULUS) % SEQ_MODULUS) + 1;
      for (let i = 0; i < count && out.length < limit; i++) out.push((first + i) % SEQ_MODULUS);
      if (out.length >= limit) break;
    }
    return out;
  }

  it('yields exactly the first `limit` losses, never more', () => {
    fc.assert(
      fc.property(nakDatagram, fc.integer({ min: 0, max: 3000 }), (bytes, limit) => {
        const result = attempt(bytes, decodeSrtNak);
        if (!result.ok) return;
        const { ranges } = result.value;
        const lost = expandLossList(ranges, limit);
        expect(lost.length).toBeLessThanOrEqual(limit);
        expect(lost).toStrictEqual(expectedLosses(ranges, limit));
        let visits = 0;
        expect(forEachLostSeq(ranges, () => visits++, limit)).toBe(lost.length);
        expect(visits).toBe(lost.length);
      }),
      runs(RUNS),
    );
  });

  it('stops at NAK_EXPANSION_LIMIT by default, even for hostile 2^30-long ranges', () => {
    fc.assert(
      fc.property(nakDatagram, (bytes) => {
        const result = attempt(bytes, decodeSrtNak);
        if (!result.ok) return;
        const { ranges } = result.value;
        const total = ranges.reduce(
          (sum, { first, last }) => sum + ((last - first + SEQ_MODULUS) % SEQ_MODULUS) + 1,
          0,
        );
        let visits = 0;
        const visited = forEachLostSeq(ranges, (s) => {
          if (!isSeq(s)) throw new Error(`not a sequence number: ${s}`);
          visits++;
        });
        expect(visited).toBe(Math.min(total, NAK_EXPANSION_LIMIT));
        expect(visits).toBe(visited);
      }),
      runs(60),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// classifyDatagram and the peek helpers
// ---------------------------------------------------------------------------------------------

describe('classifyDatagram', () => {
  const knownKinds: readonly number[] = Object.values(DatagramKind);

  /** protocol.md section 2's table, written out independently. */
  function expectedKind(bytes: Uint8Array): DatagramKind {
    if (bytes.length < 2) return DatagramKind.Unknown;
    const first = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
    if (first >= 0x9000 && first <= 0x9fff) {
      if (first === 0x9000) return DatagramKind.SrtlaKeepalive;
      if (first === 0x9100) {
        return bytes.length >= 4 && bytes.length % 4 === 0
          ? DatagramKind.SrtlaAck
          : DatagramKind.SrtlaUnknown;
      }
      if (first === 0x9200 || first === 0x9201) {
        if (bytes.length !== 258) return DatagramKind.SrtlaUnknown;
        return first === 0x9200 ? DatagramKind.SrtlaReg1 : DatagramKind.SrtlaReg2;
      }
      if (first === 0x9202) return DatagramKind.SrtlaReg3;
      if (first === 0x9210) return DatagramKind.SrtlaRegErr;
      if (first === 0x9211) return DatagramKind.SrtlaRegNgp;
      if (first === 0x9212) return DatagramKind.SrtlaRegNak;
      return DatagramKind.SrtlaUnknown;
    }
    if (bytes.length < 16) return DatagramKind.Unknown;
    return first >= 0x8000 ? DatagramKind.SrtControl : DatagramKind.SrtData;
  }

  it('is total, returns a known kind with a name, and follows protocol.md section 2', () => {
    fc.assert(
      fc.property(fc.oneof(datagram, srtlaDatagram), (bytes) => {
        const kind = classifyDatagram(bytes);
        expect(knownKinds).toContain(kind);
        expect(typeof DATAGRAM_KIND_NAMES[kind]).toBe('string');
        expect(kind).toBe(expectedKind(bytes));
      }),
      runs(1000),
    );
  });

  it('agrees with the decoders: SRT data, SRTLA packets, and nothing SRTLA decodes as SRT data', () => {
    const srtlaKinds: Partial<Record<DatagramKind, SrtlaPacket['type']>> = {
      [DatagramKind.SrtlaKeepalive]: 'keepalive',
      [DatagramKind.SrtlaAck]: 'ack',
      [DatagramKind.SrtlaReg1]: 'reg1',
      [DatagramKind.SrtlaReg2]: 'reg2',
      [DatagramKind.SrtlaReg3]: 'reg3',
      [DatagramKind.SrtlaRegErr]: 'reg-err',
      [DatagramKind.SrtlaRegNgp]: 'reg-ngp',
      [DatagramKind.SrtlaRegNak]: 'reg-nak',
    };
    fc.assert(
      fc.property(fc.oneof(datagram, srtlaDatagram), (bytes) => {
        const kind = classifyDatagram(bytes);
        expect(attempt(bytes, decodeSrtDataHeader).ok).toBe(kind === DatagramKind.SrtData);
        expect(isSrtData(bytes)).toBe(kind === DatagramKind.SrtData);
        if (kind === DatagramKind.SrtControl) expect(isSrtControl(bytes)).toBe(true);
        const srtla = attempt(bytes, decodeSrtla);
        const expectedType = srtlaKinds[kind];
        if (expectedType === undefined) {
          expect(srtla.ok).toBe(false);
        } else if (kind !== DatagramKind.SrtlaKeepalive) {
          // Only a keepalive (with a broken bond trailer) of a known kind may fail to decode.
          expect(srtla.ok).toBe(true);
        }
        if (srtla.ok) expect(srtla.value.type).toBe(expectedType);
      }),
      runs(1000),
    );
  });
});

describe('peek helpers agree with the full decoders', () => {
  it('SRT data: seq, R flag and timestamp', () => {
    fc.assert(
      fc.property(fc.oneof(dataDatagram, datagram), (bytes) => {
        if (!isSrtData(bytes)) return;
        const header = decodeSrtDataHeader(bytes);
        expect(peekSrtDataSeq(bytes)).toBe(header.seq);
        expect(peekSrtRetransmitted(bytes)).toBe(header.retransmitted);
        expect(peekSrtTimestamp(bytes)).toBe(header.timestamp);
      }),
      runs(RUNS),
    );
  });

  it('SRT control: type and timestamp; SRT ACK: acknowledged seq', () => {
    fc.assert(
      fc.property(fc.oneof(ackDatagram, anyControlDatagram, datagram), (bytes) => {
        const control = attempt(bytes, (b) => decodeSrtControl(b));
        expect(control.ok).toBe(isSrtControl(bytes));
        if (!control.ok) return;
        expect(peekSrtControlType(bytes)).toBe(control.value.controlType);
        expect(peekSrtTimestamp(bytes)).toBe(control.value.timestamp);
        const ack = attempt(bytes, decodeSrtAck);
        expect(ack.ok).toBe(control.value.controlType === SRT_CONTROL.ACK && bytes.length >= 20);
        if (ack.ok) expect(peekSrtAckSeq(bytes)).toBe(ack.value.ackSeq);
      }),
      runs(RUNS),
    );
  });

  it('SRTLA ACK: count and each sequence number', () => {
    fc.assert(
      fc.property(srtlaAckDatagram, (bytes) => {
        const result = attempt(bytes, decodeSrtlaAck);
        if (!result.ok) return;
        expect(srtlaAckCount(bytes)).toBe(result.value.length);
        result.value.forEach((s, index) => {
          expect(peekSrtlaAckSeq(bytes, index)).toBe(s);
        });
      }),
      runs(RUNS),
    );
  });

  it('keepalive: echoed timestamp', () => {
    fc.assert(
      fc.property(fc.oneof(keepaliveDatagram, datagram), (bytes) => {
        const result = attempt(bytes, decodeKeepalive);
        if (result.ok) expect(peekKeepaliveTimestamp(bytes)).toBe(result.value.timestampMs);
      }),
      runs(RUNS),
    );
  });
});
