// The SRT stream id (SRT_CMD_SID) in a caller's conclusion handshake: a hand-built handshake with
// SRT's documented byte layout, a real caller's capture, the captured sessions without one, and
// hostile input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SRT_HANDSHAKE_EXTENSION,
  SRT_HANDSHAKE_EXTENSION_FLAG,
  SRT_HANDSHAKE_TYPE,
  SRT_STREAM_ID_MAX_BYTES,
  WireDecodeError,
  decodeSrtHandshakeExtensions,
  decodeSrtStreamIdContents,
  displayLinkName,
  encodeSrtHandshake,
  encodeSrtStreamIdExtension,
  printableText,
  readSrtStreamId,
  type SrtHandshake,
} from '../src/index.js';
import {
  CAPTURED_SESSION_FILES,
  fromHex,
  loadCapturedHandshakes,
  loadCapturedSession,
  toHex,
} from './vectors.js';

/** An HSREQ block as a caller sends it (SRT version, flags, latencies). */
const HSREQ_BLOCK = fromHex('00010003' + '00010501' + '000000bf' + '03e803e8');

function conclusion(extensions: Uint8Array, overrides: Partial<SrtHandshake> = {}): Uint8Array {
  return encodeSrtHandshake({
    timestamp: 1000,
    destinationSocketId: 0,
    version: 5,
    encryption: 0,
    extension: SRT_HANDSHAKE_EXTENSION_FLAG.HSREQ | SRT_HANDSHAKE_EXTENSION_FLAG.CONFIG,
    initialSeq: 12345,
    mtu: 1500,
    flowWindow: 8192,
    handshakeType: SRT_HANDSHAKE_TYPE.CONCLUSION,
    socketId: 0x1234,
    cookie: 0xabcdef,
    peerIp: new Uint8Array(16),
    extensions,
    ...overrides,
  });
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

describe('SRT stream id: hand-built conclusion handshake', () => {
  it('lays "STREAM" out as SRT documents it: padded to words, each word reversed ("ERTS\\0\\0MA")', () => {
    const block = encodeSrtStreamIdExtension('STREAM');
    // type 5, 2 words, then E R T S NUL NUL M A
    expect(toHex(block)).toBe('00050002' + '45525453' + '00004d41');
  });

  it('reads the stream id after an HSREQ block', () => {
    const bytes = conclusion(concat(HSREQ_BLOCK, encodeSrtStreamIdExtension('publish:live/feed1')));
    expect(readSrtStreamId(bytes)).toBe('publish:live/feed1');
    expect(decodeSrtHandshakeExtensions(bytes).map((block) => block.type)).toEqual([
      SRT_HANDSHAKE_EXTENSION.HSREQ,
      SRT_HANDSHAKE_EXTENSION.SID,
    ]);
  });

  it('keeps a stream id whose length is a whole number of words (no NUL padding)', () => {
    const bytes = conclusion(encodeSrtStreamIdExtension('abcdefgh'));
    expect(bytes.length).toBe(64 + 4 + 8);
    expect(readSrtStreamId(bytes)).toBe('abcdefgh');
  });

  it('decodes UTF-8 across word boundaries', () => {
    const id = '#!::r=live/feed-é,u=ünïcode';
    expect(readSrtStreamId(conclusion(encodeSrtStreamIdExtension(id)))).toBe(id);
  });

  it('is undefined for a conclusion without a stream id, an induction, HSv4 and non-handshakes', () => {
    expect(readSrtStreamId(conclusion(HSREQ_BLOCK))).toBeUndefined();
    const sid = encodeSrtStreamIdExtension('live/feed1');
    expect(
      readSrtStreamId(conclusion(sid, { handshakeType: SRT_HANDSHAKE_TYPE.INDUCTION })),
    ).toBeUndefined();
    expect(readSrtStreamId(conclusion(sid, { version: 4 }))).toBeUndefined();
    // The same bytes as an SRT keepalive: not a handshake.
    const keepalive = conclusion(sid);
    keepalive[1] = 0x01;
    expect(readSrtStreamId(keepalive)).toBeUndefined();
    // A data packet (bit 31 clear).
    const data = conclusion(sid);
    data[0] = 0x00;
    expect(readSrtStreamId(data)).toBeUndefined();
  });

  it('throws WireDecodeError for a block that runs past the datagram', () => {
    const bytes = conclusion(encodeSrtStreamIdExtension('live/feed1'));
    expect(() => readSrtStreamId(bytes.subarray(0, bytes.length - 1))).toThrow(WireDecodeError);
    expect(() => readSrtStreamId(concat(bytes, fromHex('0005')))).toThrow(/block header/);
  });

  it('throws WireDecodeError for an empty stream id block or one above 512 bytes (SRT rejects both)', () => {
    expect(() => readSrtStreamId(conclusion(fromHex('00050000')))).toThrow(WireDecodeError);
    const long = new Uint8Array(4 + SRT_STREAM_ID_MAX_BYTES + 4).fill(0x41);
    long.set(fromHex('00050081'), 0); // 129 words = 516 bytes
    expect(() => readSrtStreamId(conclusion(long))).toThrow(/above 512/);
    expect(() => decodeSrtStreamIdContents(new Uint8Array(0), 68)).toThrow(/at byte 68/);
  });

  it('cuts a stream id longer than 512 bytes when encoding (encoders are total)', () => {
    const block = encodeSrtStreamIdExtension('x'.repeat(600));
    expect(block.length).toBe(4 + SRT_STREAM_ID_MAX_BYTES);
    expect(readSrtStreamId(conclusion(block))).toBe('x'.repeat(SRT_STREAM_ID_MAX_BYTES));
  });
});

describe('SRT stream id: captured from a real SRT caller', () => {
  const captures = loadCapturedHandshakes();

  it('has the capture', () => {
    expect(captures.length).toBeGreaterThan(0);
  });

  for (const capture of captures) {
    it(`${capture.name}: reads ${JSON.stringify(capture.streamId)}`, () => {
      const bytes = fromHex(capture.hex);
      expect(readSrtStreamId(bytes)).toBe(capture.streamId);
      // Our encoder writes the same block the real caller wrote.
      const sid = decodeSrtHandshakeExtensions(bytes).find(
        (block) => block.type === SRT_HANDSHAKE_EXTENSION.SID,
      );
      expect(sid).toBeDefined();
      expect(toHex(encodeSrtStreamIdExtension(capture.streamId))).toBe(
        toHex(
          bytes.subarray(sid?.offset ?? 0, (sid?.offset ?? 0) + 4 + (sid?.contents.length ?? 0)),
        ),
      );
    });
  }

  for (const file of CAPTURED_SESSION_FILES) {
    it(`${file}: every handshake decodes, none carries a stream id`, () => {
      const handshakes = loadCapturedSession(file).datagrams.filter(
        (datagram) => datagram.kind === 'srt-handshake',
      );
      expect(handshakes.length).toBeGreaterThan(0);
      const conclusions = handshakes.filter((datagram) => datagram.len > 64);
      expect(conclusions.length).toBeGreaterThan(0);
      for (const datagram of handshakes) {
        expect(readSrtStreamId(fromHex(datagram.hex))).toBeUndefined();
      }
      for (const datagram of conclusions) {
        // "to ..." is the caller's direction (HSREQ), "from ..." the listener's answer (HSRSP).
        const types = decodeSrtHandshakeExtensions(fromHex(datagram.hex)).map((b) => b.type);
        expect(types).toEqual([
          datagram.dir.startsWith('to ')
            ? SRT_HANDSHAKE_EXTENSION.HSREQ
            : SRT_HANDSHAKE_EXTENSION.HSRSP,
        ]);
      }
    });
  }
});

describe('SRT stream id: properties', () => {
  const idText = fc
    .string({ unit: 'grapheme', maxLength: 200 })
    .filter((text) => !text.endsWith('\u0000') && text.length > 0)
    .filter((text) => new TextEncoder().encode(text).length <= SRT_STREAM_ID_MAX_BYTES);

  it('decode(encode(id)) is id for any id up to 512 bytes not ending in NUL', () => {
    fc.assert(
      fc.property(idText, (id) => {
        expect(
          readSrtStreamId(conclusion(concat(HSREQ_BLOCK, encodeSrtStreamIdExtension(id)))),
        ).toBe(id);
      }),
      { numRuns: 300 },
    );
  });

  it('a conclusion with arbitrary extension bytes decodes or throws WireDecodeError only', () => {
    const extensionBytes = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      // Valid blocks with a few bytes changed.
      fc
        .tuple(
          idText,
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        )
        .map(([id, changes]) => {
          const block = concat(HSREQ_BLOCK, encodeSrtStreamIdExtension(id));
          for (const [at, value] of changes) block[at % block.length] = value;
          return block;
        }),
    );
    fc.assert(
      fc.property(extensionBytes, (extensions) => {
        try {
          const id = readSrtStreamId(conclusion(extensions));
          expect(id === undefined || typeof id === 'string').toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(WireDecodeError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('printable text from the wire', () => {
  it('replaces control characters, line separators and bidi overrides with ?', () => {
    expect(printableText('live/feed1\nFAKE LOG LINE')).toBe('live/feed1?FAKE LOG LINE');
    expect(printableText('a\u0000b\u001b[31mc\u007f\u0085\u2028\u202edone')).toBe(
      'a?b?[31mc????done',
    );
    expect(printableText('wwan0 — LTE é')).toBe('wwan0 — LTE é');
  });

  it('link names: cut to 64 bytes, made printable, trimmed; empty is undefined', () => {
    expect(displayLinkName('  wwan0\r\n')).toBe('wwan0');
    expect(displayLinkName('x'.repeat(100))).toBe('x'.repeat(64));
    expect(displayLinkName('')).toBeUndefined();
    expect(displayLinkName(' \t ')).toBeUndefined();
  });
});
