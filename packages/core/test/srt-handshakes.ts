// Hand-built SRT conclusion handshakes with extension blocks, for the tests that read the
// latency from them (srt-feedback, srt-latency).
import { srtHandshake } from '@bond/wire/testing';

export const HSREQ = 1;
export const HSRSP = 2;
export const SRT_VERSION = 0x010503;
/** TSBPDSND | TSBPDRCV | TLPKTDROP | NAKREPORT | REXMITFLG ...: what libsrt sends in live mode. */
export const LIVE_FLAGS = 0xbf;

/** A handshake whose extensions are `blocks` ([type, words...]); HSv5 conclusion by default. */
export function handshake(
  blocks: number[][],
  fields: { version?: number; handshakeType?: number } = {},
): Uint8Array {
  const words = blocks.flatMap(([type, ...body]) => [((type ?? 0) << 16) | body.length, ...body]);
  const extensions = new Uint8Array(4 * words.length);
  const view = new DataView(extensions.buffer);
  words.forEach((word, index) => {
    view.setUint32(4 * index, word >>> 0);
  });
  return srtHandshake({
    destinationSocketId: 42,
    version: fields.version ?? 5,
    extension: 1,
    initialSeq: 100,
    handshakeType: fields.handshakeType ?? 0xffffffff,
    socketId: 9,
    extensions,
  });
}

/** The caller's conclusion: HSREQ asking the listener for `latencyMs` (its sender TSBPD delay). */
export function callerConclusion(latencyMs: number, flags = LIVE_FLAGS): Uint8Array {
  return handshake([[HSREQ, SRT_VERSION, flags, (120 << 16) | latencyMs]]);
}

/** The listener's answer: HSRSP with its receive latency `latencyMs` (receiver TSBPD delay). */
export function listenerConclusion(latencyMs: number, flags = LIVE_FLAGS): Uint8Array {
  return handshake([[HSRSP, SRT_VERSION, flags, (latencyMs << 16) | 120]]);
}
