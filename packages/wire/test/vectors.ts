/**
 * Loads the shared test vectors (`../shared/vectors` beside the repository root): datagrams captured
 * from real SRTLA implementations and hand-made edge cases.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const VECTORS_DIR = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'vectors');

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

export function loadCapturedSession(file: string): CapturedSession {
  return JSON.parse(readFileSync(join(VECTORS_DIR, file), 'utf8')) as CapturedSession;
}

export function loadHandmadeVectors(): readonly HandmadeVector[] {
  const parsed = JSON.parse(readFileSync(join(VECTORS_DIR, 'handmade.json'), 'utf8')) as {
    vectors: HandmadeVector[];
  };
  return parsed.vectors;
}

/** The captures store datagrams as hex. */
export { bytesToHex as toHex, hexToBytes as fromHex } from '../src/index.js';
