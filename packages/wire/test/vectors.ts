/**
 * The test vectors (`test/vectors/`, see its README): datagrams captured from real SRTLA
 * implementations and hand-made edge cases. Every test in the repository that reads a vector finds
 * it through {@link vectorFile} or the loaders here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DATAGRAM_KIND_NAMES,
  SRT_CONTROL,
  classifyDatagram,
  peekSrtControlType,
} from '../src/index.js';

export interface CapturedDatagram {
  readonly t_ms: number;
  readonly hop: string;
  readonly dir: string;
  readonly src: string;
  readonly dst: string;
  readonly kind: string;
  readonly len: number;
  readonly hex: string;
}

export interface CapturedSession {
  readonly title: string;
  readonly datagrams: readonly CapturedDatagram[];
}

export interface HandmadeVector {
  readonly name: string;
  readonly hex: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export const CAPTURED_SESSION_FILES = [
  'srtla-session-belabox-to-belabox.json',
  'srtla-session-belabox-to-irlserver.json',
] as const;

export type VectorFileName =
  (typeof CAPTURED_SESSION_FILES)[number] | 'handmade.json' | 'srt-conclusion-streamid.json';

export interface CapturedHandshake {
  readonly name: string;
  /** The stream id the caller was given. */
  readonly streamId: string;
  readonly hex: string;
}

/** The absolute path of a file in `test/vectors/`. */
export function vectorFile(name: VectorFileName): string {
  return join(import.meta.dirname, 'vectors', name);
}

export function loadCapturedSession(file: VectorFileName): CapturedSession {
  return JSON.parse(readFileSync(vectorFile(file), 'utf8')) as CapturedSession;
}

/** Conclusion handshakes captured from a real SRT caller, with the stream id it was given. */
export function loadCapturedHandshakes(): readonly CapturedHandshake[] {
  const parsed = JSON.parse(readFileSync(vectorFile('srt-conclusion-streamid.json'), 'utf8')) as {
    datagrams: CapturedHandshake[];
  };
  return parsed.datagrams;
}

export function loadHandmadeVectors(): readonly HandmadeVector[] {
  const parsed = JSON.parse(readFileSync(vectorFile('handmade.json'), 'utf8')) as {
    vectors: HandmadeVector[];
  };
  return parsed.vectors;
}

/**
 * What a capture would call `bytes`, as far as the replays compare kinds: SRTLA kinds and SRT data
 * by their capture labels, SRT ACK and handshake by theirs, any other SRT control as `srt-control`.
 */
export function captureKindOf(bytes: Uint8Array): string {
  const name = DATAGRAM_KIND_NAMES[classifyDatagram(bytes)];
  if (name !== 'srt-control') return name;
  const type = peekSrtControlType(bytes);
  return type === SRT_CONTROL.ACK
    ? 'srt-ack'
    : type === SRT_CONTROL.HANDSHAKE
      ? 'srt-handshake'
      : 'srt-control';
}

/** The captures store datagrams as hex. */
export { bytesToHex as toHex, hexToBytes as fromHex } from '../src/index.js';
