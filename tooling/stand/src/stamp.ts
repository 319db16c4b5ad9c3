/**
 * Send-time stamps in the stream's payloads, so the sink measures end-to-end delay on the same
 * clock as the source (both live in the stand's process) and tells every payload apart.
 *
 * A payload is {@link PAYLOAD_BYTES} bytes (7 MPEG-TS packets, what SRT encoders put in a datagram):
 * bytes 0-3 the magic `BOND`, 4-7 the payload's number (u32), 8-15 its send time (float64 ms on
 * the stand's monotonic clock), the rest filler.
 */

/** 1316: 7 MPEG-TS packets of 188 bytes, one SRT payload. */
export const PAYLOAD_BYTES = 1316;
/** `BOND`: marks a stamped payload. */
export const STAMP_MAGIC = 0x424f_4e44;

export interface Stamp {
  readonly number: number;
  readonly sentAtMs: number;
}

/** A new stamped payload. */
export function stampedPayload(number: number, sentAtMs: number): Buffer {
  const payload = Buffer.alloc(PAYLOAD_BYTES, 0x47);
  payload.writeUInt32BE(STAMP_MAGIC, 0);
  payload.writeUInt32BE(number >>> 0, 4);
  payload.writeDoubleBE(sentAtMs, 8);
  return payload;
}

/** The stamp in `payload` at `offset`, or undefined when it holds none. */
export function readStamp(payload: Uint8Array, offset = 0): Stamp | undefined {
  if (payload.length - offset < 16) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset + offset, 16);
  if (view.getUint32(0) !== STAMP_MAGIC) return undefined;
  return { number: view.getUint32(4), sentAtMs: view.getFloat64(8) };
}
