/**
 * `@bond/wire/testing`: SRT datagrams with ordinary field values, for tests of code that reads
 * them (receivers, senders, benchmarks), so a test names only what it varies. Not for production
 * traffic: the defaults are fixed test values, not what a real SRT peer would choose.
 *
 * @packageDocumentation
 */
import { SRT_HANDSHAKE_TYPE, encodeSrtHandshake, type SrtHandshake } from '../srt-handshake.js';
import { encodeSrtData, type SrtDataHeader } from '../srt-packet.js';
import { SRT_HANDSHAKE_EXTENSION_FLAG, encodeSrtStreamIdExtension } from '../srt-stream-id.js';

/** What {@link srtData} lets a test vary. */
export interface SrtDataOptions extends Partial<Omit<SrtDataHeader, 'seq'>> {
  /** The payload; default {@link payloadBytes} zero bytes. */
  readonly payload?: Uint8Array;
  /** Zero bytes of payload when `payload` is absent. Default 188 (one MPEG-TS packet). */
  readonly payloadBytes?: number;
}

/**
 * One SRT data packet `seq`: a whole message (packet position 3) of message 1 to socket 1, not
 * retransmitted, timestamp 0, unless `options` says otherwise.
 */
export function srtData(seq: number, options: SrtDataOptions = {}): Uint8Array {
  const { payload, payloadBytes, ...header } = options;
  return encodeSrtData(
    {
      seq,
      packetPosition: 3,
      inOrder: false,
      encryptionKey: 0,
      retransmitted: false,
      messageNumber: 1,
      timestamp: 0,
      destinationSocketId: 1,
      ...header,
    },
    payload ?? new Uint8Array(payloadBytes ?? 188),
  );
}

/**
 * An SRT handshake (64 bytes plus `extensions`): HSv5, MTU 1500, flow window 8192, socket 7,
 * no extensions, of `fields.handshakeType` (a caller's conclusion by default).
 */
export function srtHandshake(fields: Partial<SrtHandshake> = {}): Uint8Array {
  return encodeSrtHandshake({
    timestamp: 0,
    destinationSocketId: 0,
    version: 5,
    encryption: 0,
    extension: 0,
    initialSeq: 0,
    mtu: 1500,
    flowWindow: 8192,
    handshakeType: SRT_HANDSHAKE_TYPE.CONCLUSION,
    socketId: 7,
    cookie: 0,
    peerIp: new Uint8Array(16),
    extensions: new Uint8Array(0),
    ...fields,
  });
}

/** A caller's HSv5 conclusion that names its stream (`SRT_CMD_SID`), as encoders send it. */
export function srtConclusion(streamId: string, fields: Partial<SrtHandshake> = {}): Uint8Array {
  return srtHandshake({
    extension: SRT_HANDSHAKE_EXTENSION_FLAG.CONFIG,
    initialSeq: 1,
    cookie: 1,
    extensions: encodeSrtStreamIdExtension(streamId),
    ...fields,
  });
}
