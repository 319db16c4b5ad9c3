/**
 * Parsers for setting values both apps take, from their text form. Each throws
 * {@link SettingError} whose message names the setting (`name`) and what it accepts.
 */
import { SettingError } from './settings-table.js';

/** A UDP port 1..65535, as decimal digits. */
export function parsePort(name: string, raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < 1 || value > 65535) {
    throw new SettingError(`${name} must be a UDP port number 1..65535, got "${raw}"`);
  }
  return value;
}

/** Exactly one of `allowed`. */
export function parseOneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  const found = allowed.find((value) => value === raw);
  if (found === undefined) {
    throw new SettingError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return found;
}
