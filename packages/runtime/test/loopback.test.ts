// The receiver on real loopback sockets (the backend `auto` picks: native when built, else dgram):
// dual-stack listening with IPv4 senders printed as IPv4, IPv6 senders, and the SRT probe.
import {
  DatagramKind,
  SRT_HANDSHAKE_TYPE,
  encodeSrtHandshake,
  decodeSrtHandshake,
} from '@bond/wire';
import { dgramBackend } from '@bond/io';
import { waitFor } from '@bond/io/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createReceiver, probeSrtListener, selectIoBackend } from '../src/index.js';
import {
  createEndpoint,
  kinds,
  openRecordingSocket,
  registerGroup,
  srtData,
  type RecordingSocket,
} from './srtla-peer.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

async function socket(address: string, port = 0): Promise<RecordingSocket> {
  const opened = await openRecordingSocket(dgramBackend, address, port);
  cleanup.push(() => opened.close());
  return opened;
}

describe('receiver on loopback sockets', () => {
  it('listens dual-stack: IPv4 senders print as IPv4, IPv6 senders in brackets', async () => {
    const listener = await socket('127.0.0.1');
    const receiver = await createReceiver({
      port: 0,
      upstream: { host: '127.0.0.1', port: listener.socket.local.port },
    });
    cleanup.push(() => receiver.close());
    const selection = await selectIoBackend();
    expect(receiver.backend).toBe(selection.backend.name);
    expect(receiver.local.ip).toBe('::');
    const port = receiver.local.port;

    const v4 = await socket('127.0.0.2');
    await registerGroup([v4], createEndpoint('127.0.0.1', port));
    const v6 = await socket('::1');
    await registerGroup([v6], createEndpoint('::1', port), 2);
    v4.send(srtData(1), createEndpoint('127.0.0.1', port));
    v6.send(srtData(1), createEndpoint('::1', port));
    await waitFor(() => listener.received.length === 2, 'both groups forwarded');

    const addresses = receiver
      .stats()
      .groups.flatMap((group) => group.links.map((link) => link.address))
      .sort();
    expect(addresses).toEqual(
      [`127.0.0.2:${v4.socket.local.port}`, `[::1]:${v6.socket.local.port}`].sort(),
    );
    expect(kinds(v4)).toContain(DatagramKind.SrtlaReg3);
  });

  it('probes an SRT listener with an induction handshake and reports its answer', async () => {
    // A stand-in SRT listener: answers an induction with an induction (version 5, a cookie).
    const srt = await openRecordingSocket(dgramBackend, '127.0.0.1');
    cleanup.push(() => srt.close());
    const answering = setInterval(() => {
      const request = srt.received.shift();
      if (request === undefined) return;
      const hs = decodeSrtHandshake(request.bytes);
      srt.send(encodeSrtHandshake({ ...hs, version: 5, cookie: 1234 }), request.from);
    }, 5);
    cleanup.push(() => {
      clearInterval(answering);
      return Promise.resolve();
    });
    const answered = await probeSrtListener(createEndpoint('127.0.0.1', srt.socket.local.port));
    expect(answered).toMatchObject({ answered: true, handshakeType: SRT_HANDSHAKE_TYPE.INDUCTION });
    expect(answered.detail).toMatch(/induction/);

    // A port nothing listens on: refused (ICMP on loopback) or silent; either way not answered.
    const closed = await socket('127.0.0.1');
    const port = closed.socket.local.port;
    await closed.close();
    const silent = await probeSrtListener(createEndpoint('127.0.0.1', port), { timeoutMs: 300 });
    expect(silent.answered).toBe(false);
    expect(silent.detail).toMatch(/refused|no answer/);
  });
});
