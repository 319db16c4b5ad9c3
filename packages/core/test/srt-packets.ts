// One SRT data packet for the core tests: a whole message (packet position 3) of message 1 to
// socket 1, zero payload, with what a test varies (the seq, the payload size, the timestamp, the
// retransmitted flag).
import { encodeSrtData } from '@bond/wire';

export interface SrtDataOptions {
  /** Payload bytes. Default 188 (one MPEG-TS packet). */
  readonly payloadBytes?: number;
  /** Microseconds. Default 0. */
  readonly timestampUs?: number;
  readonly retransmitted?: boolean;
}

export function srtData(seq: number, options: SrtDataOptions = {}): Uint8Array {
  return encodeSrtData(
    {
      seq,
      packetPosition: 3,
      inOrder: false,
      encryptionKey: 0,
      retransmitted: options.retransmitted ?? false,
      messageNumber: 1,
      timestamp: options.timestampUs ?? 0,
      destinationSocketId: 1,
    },
    new Uint8Array(options.payloadBytes ?? 188),
  );
}
