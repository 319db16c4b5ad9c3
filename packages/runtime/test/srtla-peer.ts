// Test stand-ins on an IO backend: a sender link that speaks SRTLA by hand, and an SRT listener
// that records what arrives. Every socket they open is closed by `close()`.
import {
  DatagramKind,
  SRTLA_ID_LENGTH,
  classifyDatagram,
  encodeReg1,
  encodeReg2,
} from '@bond/wire';
import {
  createEndpoint,
  createReceiveBatch,
  type BatchSocket,
  type Address,
  type IoBackend,
} from '@bond/io';
import { waitFor } from '@bond/io/testing';
import { srtData as testSrtData } from '@bond/wire/testing';

/** A socket that keeps every datagram it receives. */
export interface RecordingSocket {
  readonly socket: BatchSocket;
  readonly received: { bytes: Uint8Array; from: Address }[];
  send(bytes: Uint8Array, to?: Address): void;
  close(): Promise<void>;
}

export async function openRecordingSocket(
  io: IoBackend,
  address: string,
  port = 0,
  connect?: Address,
): Promise<RecordingSocket> {
  const received: { bytes: Uint8Array; from: Address }[] = [];
  const socket = await io.open({
    address,
    port,
    ...(connect === undefined ? {} : { connect }),
    batch: createReceiveBatch({ maxBatch: 64 }),
    onBatch: (batch, count) => {
      for (let i = 0; i < count; i++) {
        received.push({ bytes: batch.datagram(i).slice(), from: batch.source(i) });
      }
    },
  });
  return {
    socket,
    received,
    send: (bytes, to) => {
      socket.send(bytes, to);
    },
    close: () => socket.close(),
  };
}

/** The kinds of the datagrams `socket` received, in order. */
export function kinds(socket: RecordingSocket): DatagramKind[] {
  return socket.received.map((d) => classifyDatagram(d.bytes));
}

/** A 256-byte sender id with a recognisable pattern. */
export function senderId(seed: number): Uint8Array {
  return Uint8Array.from({ length: SRTLA_ID_LENGTH }, (_, i) => (i * 7 + seed) & 0xff);
}

/** An SRT data packet with sequence `seq`, carrying `seq` in its payload. */
export function srtData(seq: number, payloadLength = 100): Uint8Array {
  const payload = new Uint8Array(payloadLength);
  new DataView(payload.buffer).setUint32(0, seq);
  return testSrtData(seq, { messageNumber: seq & 0x3ffffff, timestamp: seq * 1000, payload });
}

/**
 * Registers a group from `links` (REG1 on the first, REG2 on all) and returns the group id.
 * Waits for REG2 and every REG3.
 */
export async function registerGroup(
  links: readonly RecordingSocket[],
  receiver: Address,
  seed = 1,
): Promise<Uint8Array> {
  const first = links[0];
  if (first === undefined) throw new Error('no links');
  first.send(encodeReg1(senderId(seed)), receiver);
  await waitFor(() => kinds(first).includes(DatagramKind.SrtlaReg2), 'REG2');
  const reply = first.received.find((d) => classifyDatagram(d.bytes) === DatagramKind.SrtlaReg2);
  if (reply === undefined) throw new Error('no REG2');
  const groupId = reply.bytes.subarray(2, 2 + SRTLA_ID_LENGTH).slice();
  for (const link of links) link.send(encodeReg2(groupId), receiver);
  await waitFor(
    () => links.every((link) => kinds(link).includes(DatagramKind.SrtlaReg3)),
    'REG3 on every link',
  );
  return groupId;
}

export { createEndpoint };
