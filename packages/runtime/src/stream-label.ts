/**
 * How a group's SRT stream id is shown: the one function every surface (logs, stats, the JSON API,
 * Prometheus labels, dashboards) takes its name for a stream from.
 *
 * Stream ids often carry secrets: MediaMTX's `publish:PATH:USER:PASS`, SRT access control's
 * `#!::r=PATH,u=USER,s=SESSION,...`, bare stream keys, `?passphrase=` queries. Three modes:
 *
 * * `redacted` (default) keeps the readable path and nothing else:
 *   - `#!::r=live/feed1,u=ops,s=...` -> `live/feed1` (the `r` resource key only);
 *   - `publish:live/feed1:user:pass[:query]` and `read:...` (MediaMTX) -> `live/feed1`;
 *   - anything else -> its leading run up to the first `:`, `@`, `?`, `&`, `=`, `;`, `,`, `#` or
 *     space (`live/feed1?passphrase=x` -> `live/feed1`);
 *   - in what is kept, each `/`-separated part that looks like a key (16 or more hex digits; 16
 *     or more of letters, digits, `_` and `-` mixing upper case, lower case and digits; dashed
 *     groups of four like `abcd-efgh-ijkl-mnop`) becomes `key-…` and its last 4 characters;
 *   - nothing readable left (`#!::` without `r`, an id starting with a separator) -> the hashed form.
 *   An id that is one plain word is shown as it is: bond cannot tell it from a stream name. If
 *   your stream ids are bare passwords, use `hashed`.
 * * `hashed`: `sid-` and the first 8 hex digits of the id's SHA-256: stable across restarts and
 *   receivers, reveals nothing readable (a short unsalted hash: do not rely on it to hide a weak
 *   password from someone who can guess the rest of the id).
 * * `full`: the id as sent (control characters replaced): for trusted operators only.
 *
 * Every mode replaces control characters and bidirectional overrides (`printableText`), so a
 * caller cannot forge log lines.
 */
import { createHash } from 'node:crypto';
import { printableText } from '@bond/wire';
import { RuntimeOptionError } from './errors.js';

export type StreamLabelMode = 'full' | 'redacted' | 'hashed';

/** The modes, in the order help texts list them. */
export const STREAM_LABEL_MODES: readonly StreamLabelMode[] = ['redacted', 'hashed', 'full'];

/** `redacted`: operators see which stream, never a password. */
export const DEFAULT_STREAM_LABEL: StreamLabelMode = 'redacted';

/** 96: a redacted label longer than this is cut (with `…`); paths are short, keys are not. */
const REDACTED_MAX_LENGTH = 96;
/** 8 hex digits of SHA-256: 32 bits, enough to tell a receiver's streams apart. */
const HASH_HEX_DIGITS = 8;
/** Characters of a key kept after `key-…`. */
const KEY_TAIL = 4;

const ACCESS_CONTROL_PREFIX = '#!::';
const MEDIAMTX_ACTION = /^(?:publish|read):/;
/** Where a readable path ends in an id of no known form. */
const PATH_END = /[:@?&=;,#\s]/u;

/** Throws RuntimeOptionError unless `mode` is one of {@link STREAM_LABEL_MODES}. */
export function checkStreamLabelMode(mode: unknown): StreamLabelMode {
  if (typeof mode === 'string' && (STREAM_LABEL_MODES as readonly string[]).includes(mode)) {
    return mode as StreamLabelMode;
  }
  throw new RuntimeOptionError(
    `streamLabel must be ${STREAM_LABEL_MODES.join(', ')}, got ${JSON.stringify(mode)}`,
  );
}

/**
 * The label of a stream id in `mode`; `null` when there is none (no id, or an empty one).
 */
export function streamLabel(
  streamId: string | undefined,
  mode: StreamLabelMode = DEFAULT_STREAM_LABEL,
): string | null {
  if (streamId === undefined || streamId.trim() === '') return null;
  if (mode === 'full') return printableText(streamId);
  if (mode === 'hashed') return hashedLabel(streamId);
  return redactedLabel(streamId);
}

function hashedLabel(streamId: string): string {
  const digest = createHash('sha256').update(streamId, 'utf8').digest('hex');
  return `sid-${digest.slice(0, HASH_HEX_DIGITS)}`;
}

function redactedLabel(streamId: string): string {
  const path = readablePath(streamId);
  if (path === undefined) return hashedLabel(streamId);
  const label = printableText(path.split('/').map(redactKeyLike).join('/'));
  return label.length > REDACTED_MAX_LENGTH ? `${label.slice(0, REDACTED_MAX_LENGTH - 1)}…` : label;
}

/** The part of the id that names the stream, by its form; undefined when none is readable. */
function readablePath(streamId: string): string | undefined {
  let path: string | undefined;
  if (streamId.startsWith(ACCESS_CONTROL_PREFIX)) {
    for (const pair of streamId.slice(ACCESS_CONTROL_PREFIX.length).split(',')) {
      const equals = pair.indexOf('=');
      if (equals > 0 && pair.slice(0, equals).trim() === 'r') {
        path = pair.slice(equals + 1).trim();
        break;
      }
    }
  } else if (MEDIAMTX_ACTION.test(streamId)) {
    path = streamId.split(':')[1];
  } else {
    const end = streamId.search(PATH_END);
    path = end < 0 ? streamId : streamId.slice(0, end);
  }
  return path === undefined || path.trim() === '' ? undefined : path.trim();
}

const HEX_KEY = /^[0-9a-f]{16,}$/i;
const MIXED_KEY = /^[A-Za-z0-9_-]{16,}$/;
const DASHED_KEY = /^[A-Za-z0-9]{4}(?:-[A-Za-z0-9]{4}){3,}$/;

/** `key-…ab12` for a path part that looks like a stream key; the part itself otherwise. */
function redactKeyLike(part: string): string {
  const keyLike =
    HEX_KEY.test(part) ||
    DASHED_KEY.test(part) ||
    (MIXED_KEY.test(part) && /[A-Z]/.test(part) && /[a-z]/.test(part) && /\d/.test(part));
  return keyLike ? `key-…${part.slice(-KEY_TAIL)}` : part;
}
