// The sender's test helpers: plain UDP sockets on loopback that record what they receive.
// What both apps' tests use (cleanup, waits, logs, processes, metrics) is in
// apps/common/test/support.
import { createSocket, type Socket } from 'node:dgram';

export interface RecordingSocket {
  readonly socket: Socket;
  readonly port: number;
  readonly received: { bytes: Uint8Array; address: string; port: number }[];
  send(bytes: Uint8Array, port: number, address?: string): void;
  close(): Promise<void>;
}

/** A UDP socket bound to `address` (port 0) that records every datagram. */
export async function openRecordingSocket(address: string): Promise<RecordingSocket> {
  const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  const received: RecordingSocket['received'] = [];
  socket.on('message', (message, from) => {
    received.push({ bytes: new Uint8Array(message), address: from.address, port: from.port });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      resolve();
    });
  });
  return {
    socket,
    port: socket.address().port,
    received,
    send(bytes, port, to = address) {
      socket.send(bytes, port, to);
    },
    close: () =>
      new Promise<void>((resolve) => {
        socket.close(() => {
          resolve();
        });
      }),
  };
}
