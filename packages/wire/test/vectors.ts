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

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) throw new Error(`odd-length hex string (${hex.length} digits)`);
  const out = new Uint8Array(hex.length / 2);
  for (let index = 0; index < out.length; index++) {
    out[index] = Number.parseInt(hex.slice(2 * index, 2 * index + 2), 16);
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
