/**
 * SRT SHUTDOWN (control type 0x8005): the header and one zero u32, 20 bytes as SRT sends it.
 */
import { viewOf } from './byte-order.js';
import { SRT_CONTROL, SRT_HEADER_LENGTH, decodeSrtControlOf } from './srt-packet.js';

/** Length of an SRT SHUTDOWN as SRT sends it: the header and one zero u32. */
export const SRT_SHUTDOWN_LENGTH = SRT_HEADER_LENGTH + 4;

export interface SrtShutdown {
  readonly timestamp: number;
  readonly destinationSocketId: number;
}

export function decodeSrtShutdown(bytes: Uint8Array): SrtShutdown {
  const packet = decodeSrtControlOf(bytes, SRT_CONTROL.SHUTDOWN, 'SRT shutdown');
  return { timestamp: packet.timestamp, destinationSocketId: packet.destinationSocketId };
}

export function encodeSrtShutdown(shutdown: SrtShutdown): Uint8Array {
  const out = new Uint8Array(SRT_SHUTDOWN_LENGTH);
  const view = viewOf(out);
  view.setUint16(0, SRT_CONTROL.SHUTDOWN);
  view.setUint32(8, shutdown.timestamp >>> 0);
  view.setUint32(12, shutdown.destinationSocketId >>> 0);
  return out;
}
