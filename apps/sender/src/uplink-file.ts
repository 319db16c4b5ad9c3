/**
 * The uplink list (srtla_send's BIND_IPS_FILE): one source address per line, optionally followed by
 * `name=`, `priority=` and `kind=` fields; `#` starts a comment; blank lines are skipped.
 *
 * ```text
 * # srtla_send's format: one address per line
 * 192.168.1.10
 * 10.0.0.2      name=wwan0 priority=50 kind=cellular
 * 2001:db8::7   name=starlink kind=other   # IPv6 works too
 * ```
 *
 * An invalid line is reported with `file:line` and skipped; a list with no valid address is
 * refused whole ({@link UplinkFileError}).
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { BondError, type InterfaceKind } from '@bond/wire';
import { SettingError, parsePriority } from './settings.js';

/** One uplink as the file gives it. */
export interface Uplink {
  /** The uplink's local IP address: the link's socket binds it. */
  readonly address: string;
  readonly name: string | undefined;
  readonly priority: number | undefined;
  readonly kind: InterfaceKind | undefined;
  /** 1-based line in the file. */
  readonly line: number;
}

/** A line that was skipped, and why. */
export interface UplinkProblem {
  readonly line: number;
  readonly text: string;
  readonly reason: string;
}

export interface UplinkList {
  readonly path: string;
  readonly uplinks: readonly Uplink[];
  readonly problems: readonly UplinkProblem[];
}

/** The uplink file cannot be read or holds no valid address; the message says what to fix. */
export class UplinkFileError extends BondError {
  static readonly code = 'BOND_ERR_UPLINK_FILE';
  readonly path: string;
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(UplinkFileError.code, `uplink file ${path}: ${reason}`, options);
    this.path = path;
  }
}

const KINDS: readonly InterfaceKind[] = ['unspecified', 'cellular', 'wifi', 'ethernet', 'other'];

/** `file:line: reason ("text")`, for logs and messages. */
export function formatUplinkProblem(path: string, problem: UplinkProblem): string {
  return `${path}:${problem.line}: ${problem.reason} ("${problem.text}")`;
}

function parseLine(fields: readonly string[], line: number): Uplink | string {
  const [first = '', ...rest] = fields;
  const address = first.startsWith('[') && first.endsWith(']') ? first.slice(1, -1) : first;
  if (isIP(address) === 0) return `"${first}" is not an IPv4 or IPv6 address`;
  let name: string | undefined;
  let priority: number | undefined;
  let kind: InterfaceKind | undefined;
  for (const field of rest) {
    const at = field.indexOf('=');
    const key = at < 0 ? field : field.slice(0, at);
    const value = at < 0 ? '' : field.slice(at + 1);
    if (value === '') return `"${field}" must be name=..., priority=... or kind=...`;
    if (key === 'name') {
      name = value;
    } else if (key === 'priority') {
      try {
        priority = parsePriority('priority', value);
      } catch (error) {
        if (error instanceof SettingError) return error.message;
        throw error;
      }
    } else if (key === 'kind') {
      if (!(KINDS as readonly string[]).includes(value)) {
        return `kind must be one of ${KINDS.join(', ')}, got "${value}"`;
      }
      kind = value as InterfaceKind;
    } else {
      return `unknown field "${key}" (known: name, priority, kind)`;
    }
  }
  return { address, name, priority, kind, line };
}

/** Parses the file's text; never throws (see {@link requireUplinks}). */
export function parseUplinkText(path: string, text: string): UplinkList {
  const uplinks: Uplink[] = [];
  const problems: UplinkProblem[] = [];
  const byAddress = new Map<string, Uplink>();
  const byName = new Map<string, Uplink>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const content = raw.replace(/#.*$/, '').trim();
    if (content === '') return;
    const parsed = parseLine(content.split(/\s+/), line);
    if (typeof parsed === 'string') {
      problems.push({ line, text: content, reason: parsed });
      return;
    }
    const sameAddress = byAddress.get(parsed.address);
    if (sameAddress !== undefined) {
      problems.push({
        line,
        text: content,
        reason: `${parsed.address} is already listed on line ${sameAddress.line}`,
      });
      return;
    }
    const sameName = parsed.name === undefined ? undefined : byName.get(parsed.name);
    if (sameName !== undefined) {
      problems.push({
        line,
        text: content,
        reason: `name ${parsed.name ?? ''} is already used on line ${sameName.line}`,
      });
      return;
    }
    byAddress.set(parsed.address, parsed);
    if (parsed.name !== undefined) byName.set(parsed.name, parsed);
    uplinks.push(parsed);
  });
  return { path, uplinks, problems };
}

/** Throws {@link UplinkFileError} when `list` has no valid address, naming every skipped line. */
export function requireUplinks(list: UplinkList): UplinkList {
  if (list.uplinks.length > 0) return list;
  if (list.problems.length === 0) {
    throw new UplinkFileError(
      list.path,
      'no uplink address in it: list one source IP address per line (see bond-sender --help)',
    );
  }
  const lines = list.problems.map((problem) => formatUplinkProblem(list.path, problem));
  throw new UplinkFileError(
    list.path,
    `no valid uplink address in it; every line was invalid: ${lines.join('; ')}`,
  );
}

/** Reads and parses `path`; throws {@link UplinkFileError} when unreadable or without a valid address. */
export async function loadUplinkFile(path: string): Promise<UplinkList> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UplinkFileError(path, `cannot read it (${reason})`, { cause: error });
  }
  return requireUplinks(parseUplinkText(path, text));
}
