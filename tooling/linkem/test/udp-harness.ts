// Loopback UDP endpoints for linkem's tests: sockets that record what they receive, sequence-
// numbered payloads and pacing. Every socket and emulator is closed by `closeAll()`.
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { Endpoint, LinkEmulator } from '../src/index.js';

export interface Received {
  readonly seq: number;
  readonly size: number;
  readonly from: Endpoint;
  /** performance.now() when the test saw it. */
  readonly at: number;
}

export interface Peer {
  readonly socket: Socket;
  readonly port: number;
  readonly received: Received[];
  /** Sends `payload(seq, size)` to `to`. */
  send(to: Endpoint, seq: number, size?: number): void;
}

const closers: (() => Promise<void>)[] = [];

export function track(emulator: LinkEmulator): LinkEmulator {
  closers.push(() => emulator.close());
  return emulator;
}

export async function closeAll(): Promise<void> {
  const pending = closers.splice(0);
  await Promise.all(pending.map((close) => close()));
}

export function payload(seq: number, size = 64): Buffer {
  const bytes = Buffer.alloc(size);
  bytes.writeUInt32BE(seq, 0);
  return bytes;
}

export async function openPeer(address = '127.0.0.1'): Promise<Peer> {
  const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  const received: Received[] = [];
  socket.on('message', (message, from) => {
    received.push({
      seq: message.readUInt32BE(0),
      size: message.byteLength,
      from: { address: from.address, port: from.port },
      at: performance.now(),
    });
  });
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) =>
        socket.close(() => {
          resolve();
        }),
      ),
  );
  return {
    socket,
    port: socket.address().port,
    received,
    send(to, seq, size = 64) {
      socket.send(payload(seq, size), to.port, to.address);
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sends `count` numbered datagrams, yielding every `batch` so the kernel's buffers never overflow. */
export async function sendSeries(
  peer: Peer,
  to: Endpoint,
  count: number,
  options: { size?: number; batch?: number; first?: number } = {},
): Promise<void> {
  const batch = options.batch ?? 50;
  for (let i = 0; i < count; i++) {
    peer.send(to, (options.first ?? 0) + i, options.size);
    if ((i + 1) % batch === 0) await sleep(1);
  }
}
