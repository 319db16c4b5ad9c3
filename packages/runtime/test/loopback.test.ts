// The receiver on real loopback sockets (the backend `auto` picks: native when built, else dgram):
// dual-stack listening with IPv4 senders printed as IPv4, IPv6 senders, and the SRT probe.
import {
  DatagramKind,
  SRTLA_ID_HALF_LENGTH,
  SRT_HANDSHAKE_TYPE,
  encodeReg1,
  encodeSrtHandshake,
  decodeSrtHandshake,
  type Address,
} from '@bond/wire';
import { dgramBackend, type BatchSocket, type IoBackend } from '@bond/io';
import { waitFor } from '@bond/io/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createReceiver,
  probeSrtListener,
  selectIoBackend,
  type RuntimeLogger,
} from '../src/index.js';
import { warmUpListeningPath, warmUpTarget } from '../src/warm-up.js';
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

/** A logger keeping every line, for the checks below. */
function recordingLogger(): {
  logger: RuntimeLogger;
  lines: { message: string; fields: Record<string, unknown> }[];
} {
  const lines: { message: string; fields: Record<string, unknown> }[] = [];
  const keep = (message: string, fields: Record<string, unknown> = {}) => {
    lines.push({ message, fields });
  };
  return { logger: { debug: keep, info: keep, warn: keep, error: keep }, lines };
}

describe('the listening path warm-up at start', () => {
  it('answers its own REG1 over the real socket, then reports counters from zero', async () => {
    const listener = await socket('127.0.0.1');
    const { logger, lines } = recordingLogger();
    const receiver = await createReceiver({
      port: 0,
      upstream: { host: '127.0.0.1', port: listener.socket.local.port },
      logger,
    });
    cleanup.push(() => receiver.close());
    const warmed = lines.find((line) => line.message === 'listening path warmed up');
    expect(warmed).toBeDefined();
    const sent = Number(warmed?.fields.reg1Sent);
    expect(sent).toBeGreaterThan(100);
    // Answered by the receiver's own path (all of them, unless the machine starved it a second).
    expect(Number(warmed?.fields.answered)).toBeGreaterThan(0);
    const stats = receiver.stats();
    expect(stats.registration.reg1Received).toBe(0);
    expect(stats.registration.pendingGroups).toBe(0);
    expect(stats.groups).toEqual([]);
    expect(stats.listenSocket.datagramsReceived).toBe(0);
    expect(stats.listenSocket.datagramsSent).toBe(0);
    expect(stats.totals.sentToSenders).toBe(0);

    // A real sender's REG1 afterwards counts as the first.
    const sender = await socket('127.0.0.2');
    const senderHalf = new Uint8Array(SRTLA_ID_HALF_LENGTH).fill(7);
    sender.send(encodeReg1(senderHalf), createEndpoint('127.0.0.1', receiver.local.port));
    await waitFor(() => kinds(sender).includes(DatagramKind.SrtlaReg2), 'REG2');
    const after = receiver.stats();
    expect(after.registration.reg1Received).toBe(1);
    expect(after.listenSocket.datagramsReceived).toBe(1);
    expect(after.listenSocket.datagramsSent).toBe(1);
    expect(after.totals.sentToSenders).toBe(1);
  });

  it('runs after a cluster node is attached, so its datagrams are routed like any other', async () => {
    const listener = await socket('127.0.0.1');
    const { logger, lines } = recordingLogger();
    let routed = 0;
    let attached = false;
    const receiver = await createReceiver({
      port: 0,
      upstream: { host: '127.0.0.1', port: listener.socket.local.port },
      logger,
      cluster: {
        cookieKeys: new Uint8Array(32).fill(3),
        nodeIndex: 2,
        attach: () => {
          attached = true;
          return {
            route: () => {
              routed++;
              return false;
            },
          };
        },
      },
    });
    cleanup.push(() => receiver.close());
    expect(attached).toBe(true);
    const warmed = lines.find((line) => line.message === 'listening path warmed up');
    expect(Number(warmed?.fields.answered)).toBeGreaterThan(0);
    // Every warm-up REG1 went through the node's route hook before the engine answered it.
    expect(routed).toBe(Number(warmed?.fields.reg1Sent));
    expect(receiver.stats().registration.reg1Received).toBe(0);
  });

  it('is skipped when turned off', async () => {
    const listener = await socket('127.0.0.1');
    const { logger, lines } = recordingLogger();
    const receiver = await createReceiver({
      port: 0,
      address: '127.0.0.1',
      upstream: { host: '127.0.0.1', port: listener.socket.local.port },
      logger,
      warmUp: false,
    });
    cleanup.push(() => receiver.close());
    const messages = lines.map((line) => line.message);
    expect(messages).toContain('receiver listening');
    expect(messages).not.toContain('listening path warmed up');
    expect(messages.some((message) => message.startsWith('listening path not warmed up'))).toBe(
      false,
    );
  });

  it('starts cold, says so, and still counts from zero when nothing answers its first REG1', async () => {
    const listener = await socket('127.0.0.1');
    const silent = await socket('127.0.0.1');
    const { logger, lines } = recordingLogger();
    // The listening socket reports the silent socket's address as its own, so the warm-up's REG1
    // go where no one answers them: as on a host whose loopback the listening socket cannot hear.
    let listening: BatchSocket | undefined;
    let realPort = 0;
    const io: IoBackend = {
      name: dgramBackend.name,
      open: async (options) => {
        const opened = await dgramBackend.open(options);
        if (listening === undefined) {
          listening = opened;
          realPort = opened.local.port;
          (opened as { local: Address }).local = silent.socket.local;
        }
        return opened;
      },
    };
    const receiver = await createReceiver({
      port: 0,
      address: '127.0.0.1',
      upstream: { host: '127.0.0.1', port: listener.socket.local.port },
      logger,
      io,
    });
    cleanup.push(() => receiver.close());
    const cold = lines.find((line) => line.message.startsWith('listening path not warmed up'));
    expect(cold?.fields.reg1Sent).toBe(1);
    expect(lines.map((line) => line.message)).not.toContain('listening path warmed up');
    expect(silent.received.length).toBe(1);
    const sender = await socket('127.0.0.2');
    sender.send(
      encodeReg1(new Uint8Array(SRTLA_ID_HALF_LENGTH).fill(9)),
      createEndpoint('127.0.0.1', realPort),
    );
    await waitFor(() => kinds(sender).includes(DatagramKind.SrtlaReg2), 'REG2');
    expect(receiver.stats().registration.reg1Received).toBe(1);
  });

  it('stops after its first REG1 when nothing answers it, instead of waiting out its bound', async () => {
    // A socket that hears the REG1 but never answers: a listening socket the warm-up cannot reach
    // back looks the same to it.
    const silent = await socket('127.0.0.1');
    const done = await warmUpListeningPath(silent.socket.local, false);
    expect(done.answered).toBe(0);
    expect(done.sent).toBe(1);
    await waitFor(() => silent.received.length === 1, 'the REG1');
    expect(kinds(silent)).toEqual([DatagramKind.SrtlaReg1]);
  });

  it('aims at loopback for a wildcard bind, at the bound address otherwise', () => {
    const at = (ip: string) => createEndpoint(ip, 5000);
    expect(warmUpTarget(at('0.0.0.0'), false)).toEqual({ ip: '127.0.0.1', family: 'udp4' });
    expect(warmUpTarget(at('::'), false)).toEqual({ ip: '127.0.0.1', family: 'udp4' });
    expect(warmUpTarget(at('::'), true)).toEqual({ ip: '::1', family: 'udp6' });
    expect(warmUpTarget(at('127.0.0.5'), false)).toEqual({ ip: '127.0.0.5', family: 'udp4' });
    expect(warmUpTarget(at('::1'), false)).toEqual({ ip: '::1', family: 'udp6' });
  });
});

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
