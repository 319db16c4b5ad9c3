/**
 * SRT handshake rejections, named. An SRT listener that refuses a caller answers its conclusion
 * handshake with a handshake whose type field carries `1000 + reason` (libsrt's
 * `URQ_FAILURE_TYPES`), where the reason is one of three ranges of SRT's rejection codes:
 *
 * | handshake type | API reason  | range                                                          |
 * |----------------|-------------|----------------------------------------------------------------|
 * | 1000..1999     | 0..999      | SRT's own (`SRT_REJ_*`, 0..17 defined)                         |
 * | 2000..2999     | 1000..1999  | predefined for servers (`SRT_REJX_*`: 1000+ SRT-specific, 1400+ / 1500+ HTTP-like) |
 * | 3000..3999     | 2000..2999  | defined by the server application                              |
 *
 * The table below names every defined code in words a streamer can act on; codes without a name
 * are described by their range.
 */
import { SRT_HANDSHAKE_OFFSET, isHandshakeRejection } from './srt-handshake.js';
import { SRT_CONTROL, peekSrtControlType } from './srt-packet.js';
import { readU32 } from './byte-order.js';

/** The handshake type value where rejections start (`1000 + reason`). */
export const SRT_REJECTION_BASE = 1000;

/** A named rejection reason. */
export interface SrtRejectionName {
  /** SRT's symbol, e.g. `SRT_REJ_BADSECRET` (a name of bond's own for codes SRT does not name). */
  readonly name: string;
  /** What it means, in plain words. */
  readonly words: string;
}

/**
 * Every rejection code SRT defines, by its value in the handshake type field (1000 + the API
 * reason). Values from libsrt's srt.h (`SRT_REJ_*`) and access_control.h (`SRT_REJX_*`).
 */
export const SRT_REJECTIONS: Readonly<Record<number, SrtRejectionName>> = {
  1000: { name: 'SRT_REJ_UNKNOWN', words: 'no reason given' },
  1001: { name: 'SRT_REJ_SYSTEM', words: 'a system error on the SRT server' },
  1002: { name: 'SRT_REJ_PEER', words: 'rejected without details' },
  1003: { name: 'SRT_REJ_RESOURCE', words: 'the SRT server is out of resources (memory)' },
  1004: { name: 'SRT_REJ_ROGUE', words: 'the SRT server could not read the connection request' },
  1005: { name: 'SRT_REJ_BACKLOG', words: 'too many callers waiting at the SRT server' },
  1006: { name: 'SRT_REJ_IPE', words: 'an internal error in the SRT server' },
  1007: { name: 'SRT_REJ_CLOSE', words: 'the SRT server is shutting down' },
  1008: { name: 'SRT_REJ_VERSION', words: 'SRT version older than the server requires' },
  1009: { name: 'SRT_REJ_RDVCOOKIE', words: 'rendezvous cookie collision' },
  1010: { name: 'SRT_REJ_BADSECRET', words: 'wrong passphrase' },
  1011: {
    name: 'SRT_REJ_UNSECURE',
    words: 'passphrase set on one side only (encoder or SRT server)',
  },
  1012: { name: 'SRT_REJ_MESSAGEAPI', words: 'message API setting differs from the server' },
  1013: { name: 'SRT_REJ_CONGESTION', words: 'congestion control type differs from the server' },
  1014: { name: 'SRT_REJ_FILTER', words: 'packet filter (FEC) setting differs from the server' },
  1015: { name: 'SRT_REJ_GROUP', words: 'SRT group settings differ from the server' },
  1016: { name: 'SRT_REJ_TIMEOUT', words: 'the connection timed out' },
  1017: { name: 'SRT_REJ_CRYPTO', words: 'encryption mode not supported or different' },
  2000: { name: 'SRT_REJX_FALLBACK', words: 'rejected by the server application' },
  2001: { name: 'SRT_REJX_KEY_NOTSUP', words: 'a key in the stream id is not supported' },
  2002: { name: 'SRT_REJX_FILEPATH', words: 'the file path in the stream id is wrong' },
  2003: { name: 'SRT_REJX_HOSTNOTFOUND', words: 'the host in the stream id is unknown' },
  2400: { name: 'SRT_REJX_BAD_REQUEST', words: 'malformed stream id' },
  2401: {
    name: 'SRT_REJX_UNAUTHORIZED',
    words: 'not authorised (check the stream id credentials)',
  },
  2402: { name: 'SRT_REJX_OVERLOAD', words: 'the server is overloaded or over its limit' },
  2403: { name: 'SRT_REJX_FORBIDDEN', words: 'access denied' },
  2404: { name: 'SRT_REJX_NOTFOUND', words: 'stream not found (check the stream id)' },
  2405: { name: 'SRT_REJX_BAD_MODE', words: 'the mode in the stream id is not supported' },
  2406: { name: 'SRT_REJX_UNACCEPTABLE', words: 'stream parameters or format not accepted' },
  2409: { name: 'SRT_REJX_CONFLICT', words: 'the stream is in use (already being published)' },
  2415: { name: 'SRT_REJX_NOTSUP_MEDIA', words: 'media type not supported' },
  2423: { name: 'SRT_REJX_LOCKED', words: 'the stream is locked' },
  2424: { name: 'SRT_REJX_FAILED_DEPEND', words: 'something this stream depends on is missing' },
  2500: { name: 'SRT_REJX_ISE', words: 'internal server error' },
  2501: { name: 'SRT_REJX_UNIMPLEMENTED', words: 'not supported by this server version' },
  2502: { name: 'SRT_REJX_GW', words: 'the server behind a gateway rejected it' },
  2503: { name: 'SRT_REJX_DOWN', words: 'the service is down for maintenance' },
  2505: { name: 'SRT_REJX_VERSION', words: 'SRT application version not supported' },
  2507: { name: 'SRT_REJX_NOROOM', words: 'no storage space left for the stream' },
};

/** A rejection read from a handshake type: its code, SRT's symbol and plain words. */
export interface SrtRejection extends SrtRejectionName {
  /** The handshake type value (1000 + the API reason), as the listener sent it. */
  readonly code: number;
}

/**
 * Names the rejection a handshake type carries, or undefined when the type is no rejection
 * (induction, conclusion and the other handshake steps). Codes SRT does not name are described
 * by their range, with a name of bond's own (`srt-other`, `server-other`, `application`,
 * `unrecognised`).
 */
export function describeSrtRejection(handshakeType: number): SrtRejection | undefined {
  if (!isHandshakeRejection(handshakeType)) return undefined;
  const code = handshakeType;
  const named = SRT_REJECTIONS[code];
  if (named !== undefined) return { code, ...named };
  if (code < 2000) {
    return { code, name: 'srt-other', words: `SRT reason ${code - SRT_REJECTION_BASE}` };
  }
  if (code < 3000) {
    const status = code - 2000;
    return {
      code,
      name: 'server-other',
      words:
        status >= 400 && status < 600
          ? `server error ${status} (HTTP-like)`
          : `server reason ${code - SRT_REJECTION_BASE}`,
    };
  }
  if (code < 4000) {
    return {
      code,
      name: 'application',
      words: `the server application's own reason ${code - 3000}`,
    };
  }
  return { code, name: 'unrecognised', words: `unrecognised rejection ${code}` };
}

/**
 * The handshake type of an SRT handshake datagram without decoding the rest, or undefined when
 * `bytes` is no handshake or too short to hold the field. Never throws.
 */
export function peekSrtHandshakeType(bytes: Uint8Array): number | undefined {
  if (bytes.length < SRT_HANDSHAKE_OFFSET.handshakeType + 4) return undefined;
  if (peekSrtControlType(bytes) !== SRT_CONTROL.HANDSHAKE) return undefined;
  return readU32(bytes, SRT_HANDSHAKE_OFFSET.handshakeType);
}
