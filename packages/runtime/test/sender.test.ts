// createSender on real loopback sockets (127.0.0.x and ::1): against bond's receiver, against a
// stand-in that answers like the captured legacy receivers, links removed and failing at run time.
import { createSocket, type Socket } from 'node:dgram';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  DatagramKind,
  SRTLA_ID_HALF_LENGTH,
  SRTLA_PADDED_REPLY_LENGTH,
  SRT_CONTROL,
  classifyDatagram,
  decodeReg1,
  decodeReg2,
  encodeKeepaliveEcho,
  encodeReg2,
  encodeReg3,
  encodeRegNgp,
  encodeSrtAck,
  encodeSrtlaAck,
  peekSrtControlType,
  peekSrtDataSeq,
} from '@bond/wire';
import { AdaptiveScheduler } from '@bond/core';
import { dgramBackend } from '@bond/io';
import { waitFor } from '@bond/io/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  RuntimeOptionError,
  SenderClosedError,
  UnknownLinkError,
  createReceiver,
  createSender,
  senderChannels,
  type CreateSenderOptions,
  type Receiver,
  type Sender,
  type SenderDiagnostic,
} from '../src/index.js';
import { openRecordingSocket, srtData, type RecordingSocket } from './srtla-peer.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

async function socket(address: string, port = 0): Promise<RecordingSocket> {
  const opened = await openRecordingSocket(dgramBackend, address, port);
  cleanup.push(() => opened.close());
  return opened;
}

async function startReceiver(listener: RecordingSocket, address = '::'): Promise<Receiver> {
  const receiver = await createReceiver({
    port: 0,
    address,
    upstream: { host: listener.socket.local.ip, port: listener.socket.local.port },
  });
  cleanup.push(() => receiver.close());
  return receiver;
}

async function startSender(
  receiverPort: number,
  links: CreateSenderOptions['links'],
  options: Partial<CreateSenderOptions> = {},
): Promise<Sender> {
  const sender = await createSender({
    listen: { port: 0 },
    receiver: { host: '127.0.0.1', port: receiverPort },
    links,
    ...options,
  });
  cleanup.push(() => sender.close());
  return sender;
}

/**
 * Sends SRT data `from`..`to - 1` from the encoder stand-in in chunks, waiting for each chunk at
 * the listener (kernel queues stay short); returns once all have arrived.
 */
async function stream(
  encoder: RecordingSocket,
  sender: Sender,
  arrived: () => number,
  from: number,
  to: number,
  chunk = 100,
): Promise<void> {
  const base = arrived() - from;
  for (let start = from; start < to; start += chunk) {
    const end = Math.min(to, start + chunk);
    for (let seq = start; seq < end; seq++) encoder.send(srtData(seq), sender.local);
    await waitFor(() => arrived() - base >= end, `SRT data up to ${end} at the listener`);
  }
}

function dataSeqs(listener: RecordingSocket): number[] {
  return listener.received
    .filter((d) => classifyDatagram(d.bytes) === DatagramKind.SrtData)
    .map((d) => peekSrtDataSeq(d.bytes));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function srtAck(ackSeq: number): Uint8Array {
  return encodeSrtAck({ ackNumber: 1, timestamp: 1000, destinationSocketId: 1, ackSeq });
}

describe('createSender against bond’s receiver on loopback', () => {
  it('registers three links, carries 3000 packets exactly once and returns SRT ACKs', async () => {
    const listener = await socket('127.0.0.1');
    const receiver = await startReceiver(listener);
    const events: SenderDiagnostic[] = [];
    const onLinkUp = (message: unknown) => events.push(message as SenderDiagnostic);
    subscribe(senderChannels.linkUp, onLinkUp);
    cleanup.push(() => {
      unsubscribe(senderChannels.linkUp, onLinkUp);
      return Promise.resolve();
    });
    const sender = await startSender(receiver.local.port, [
      { bindAddress: '127.0.0.2', name: 'lte-1', kind: 'cellular' },
      { bindAddress: '127.0.0.3', name: 'lte-2', kind: 'cellular' },
      { bindAddress: '127.0.0.4', name: 'wifi', kind: 'wifi' },
    ]);
    await waitFor(() => sender.stats().linksUp === 3, 'three links up');
    expect(sender.stats().phase).toBe('registered');
    expect(events.map((e) => e.name).sort()).toEqual(['lte-1', 'lte-2', 'wifi']);
    expect(
      receiver
        .stats()
        .groups[0]?.links.map((l) => l.address.split(':')[0])
        .sort(),
    ).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);

    const encoder = await socket('127.0.0.1');
    await stream(encoder, sender, () => dataSeqs(listener).length, 0, 3000);
    const seqs = dataSeqs(listener);
    expect(seqs).toHaveLength(3000);
    expect([...seqs].sort((a, b) => a - b)).toEqual(range(0, 3000));

    // The receiver sends the listener's ACK on every link; each copy reaches the encoder.
    const upstream = listener.received[0]?.from;
    if (upstream === undefined) throw new Error('nothing reached the listener');
    listener.send(srtAck(3000), upstream);
    const acks = () =>
      encoder.received.filter(
        (d) =>
          classifyDatagram(d.bytes) === DatagramKind.SrtControl &&
          peekSrtControlType(d.bytes) === SRT_CONTROL.ACK,
      );
    await waitFor(() => acks().length >= 1, 'the SRT ACK at the encoder');
    expect(acks()[0]?.from.port).toBe(sender.local.port);

    const stats = sender.stats();
    expect(stats.packetsFromEncoder).toBe(3000);
    expect(stats.encoder).toBe(`127.0.0.1:${encoder.socket.local.port}`);
    expect(stats.links).toHaveLength(3);
    for (const link of stats.links) {
      expect(link.socket.state).toBe('open');
      expect(link.socket.local?.startsWith(link.bindAddress)).toBe(true);
      expect(link.engine?.state).toBe('up');
    }
    const carried = stats.links.map((link) => link.engine?.packetsSent ?? 0);
    expect(carried.reduce((a, b) => a + b, 0)).toBe(3000);
    expect(stats.links.reduce((sum, link) => sum + link.socket.datagramsSent, 0)).toBeGreaterThan(
      3000,
    );
    expect(stats.scheduler).toBe(new AdaptiveScheduler().name);
  });

  it('keeps the stream flowing on the other links when one is removed at run time', async () => {
    const listener = await socket('127.0.0.1');
    const receiver = await startReceiver(listener);
    const sender = await startSender(
      receiver.local.port,
      [
        { id: 1, bindAddress: '127.0.0.2' },
        { id: 2, bindAddress: '127.0.0.3' },
        { id: 3, bindAddress: '127.0.0.4' },
      ],
      { scheduler: 'classic' },
    );
    expect(sender.stats().scheduler).toBe('classic');
    await waitFor(() => sender.stats().linksUp === 3, 'three links up');
    const encoder = await socket('127.0.0.1');
    await stream(encoder, sender, () => dataSeqs(listener).length, 0, 500);

    await sender.removeLink(2);
    expect(sender.stats().links.map((link) => link.id)).toEqual([1, 3]);
    expect(sender.stats().linksUp).toBe(2);
    const before = sender.stats().links.map((link) => link.engine?.packetsSent ?? 0);
    await stream(encoder, sender, () => dataSeqs(listener).length, 500, 1000);
    expect([...dataSeqs(listener)].sort((a, b) => a - b)).toEqual(range(0, 1000));
    const after = sender.stats().links.map((link) => link.engine?.packetsSent ?? 0);
    expect(after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0)).toBe(500);

    // Added back under a new id, the link registers and joins the group.
    const id = await sender.addLink({ bindAddress: '127.0.0.3', name: 'back' });
    expect(id).toBe(2);
    await waitFor(() => sender.stats().linksUp === 3, 'the re-added link up');
    await expect(sender.removeLink(99)).rejects.toBeInstanceOf(UnknownLinkError);
    expect(() => {
      sender.setLinkPriority(99, 50);
    }).toThrow(UnknownLinkError);
  });

  it('reports a link that cannot bind as failed, retries it, and streams on the others', async () => {
    const listener = await socket('127.0.0.1');
    const receiver = await startReceiver(listener);
    const failed: SenderDiagnostic[] = [];
    const onFailed = (message: unknown) => failed.push(message as SenderDiagnostic);
    subscribe(senderChannels.linkFailed, onFailed);
    cleanup.push(() => {
      unsubscribe(senderChannels.linkFailed, onFailed);
      return Promise.resolve();
    });
    const sender = await startSender(
      receiver.local.port,
      [
        { id: 1, bindAddress: '127.0.0.2' },
        // 192.0.2.1 (TEST-NET-1) is no local address: bind fails with EADDRNOTAVAIL.
        { id: 2, bindAddress: '192.0.2.1', name: 'gone' },
      ],
      { linkRetryMs: 20, linkRetryMaxMs: 40 },
    );
    const gone = () => sender.stats().links.find((link) => link.id === 2);
    expect(gone()?.socket.state).toBe('failed');
    expect(gone()?.socket.failure).toContain('EADDRNOTAVAIL');
    expect(gone()?.engine).toBeUndefined();
    await waitFor(() => sender.stats().linksUp === 1, 'the working link up');
    await waitFor(() => (gone()?.socket.failures ?? 0) >= 3, 'retries of the failed link');
    expect(gone()?.socket.datagramsSent).toBe(0);
    expect(failed[0]).toMatchObject({ linkId: 2, name: 'gone' });

    const encoder = await socket('127.0.0.1');
    await stream(encoder, sender, () => dataSeqs(listener).length, 0, 500);
    expect([...dataSeqs(listener)].sort((a, b) => a - b)).toEqual(range(0, 500));
    expect(receiver.stats().groups[0]?.links).toHaveLength(1);
  });

  it('bonds over IPv6 loopback', async () => {
    const listener = await socket('::1');
    const receiver = await startReceiver(listener, '::1');
    const sender = await createSender({
      listen: { address: '::1', port: 0 },
      receiver: { host: '[::1]', port: receiver.local.port },
      links: [{ bindAddress: '::1' }],
    });
    cleanup.push(() => sender.close());
    await waitFor(() => sender.stats().linksUp === 1, 'the IPv6 link up');
    const encoder = await socket('::1');
    await stream(encoder, sender, () => dataSeqs(listener).length, 0, 200);
    expect(sender.stats().receiver).toBe(`[::1]:${receiver.local.port}`);
    await waitFor(() => sender.stats().receiverKind === 'bond', 'a bond keepalive echo');
  });
});

/**
 * A receiver that answers like the captured legacy ones: REG_NGP / REG3 padded to 32 bytes,
 * keepalives echoed byte for byte (the sender's own trailer comes back), an SRTLA ACK per 10 data
 * packets per link.
 */
interface LegacyReceiver {
  readonly port: number;
  readonly data: number[];
  close(): Promise<void>;
}

async function startLegacyReceiver(): Promise<LegacyReceiver> {
  const udp: Socket = createSocket('udp4');
  const data: number[] = [];
  let groupId: Uint8Array | undefined;
  const links = new Set<string>();
  const unacked = new Map<string, number[]>();
  const pad = { padTo: SRTLA_PADDED_REPLY_LENGTH };
  udp.on('message', (bytes, from) => {
    const reply = (out: Uint8Array) => {
      udp.send(out, from.port, from.address);
    };
    const key = `${from.address}:${from.port}`;
    switch (classifyDatagram(bytes)) {
      case DatagramKind.SrtlaReg1: {
        const id = decodeReg1(bytes).slice();
        id.fill(0x5a, SRTLA_ID_HALF_LENGTH);
        groupId = id;
        reply(encodeReg2(id));
        return;
      }
      case DatagramKind.SrtlaReg2: {
        const id = decodeReg2(bytes);
        if (groupId === undefined || Buffer.compare(id, groupId) !== 0) {
          reply(encodeRegNgp(pad));
          return;
        }
        links.add(key);
        reply(encodeReg3(pad));
        return;
      }
      case DatagramKind.SrtlaKeepalive:
        if (links.has(key)) reply(encodeKeepaliveEcho(bytes, undefined, pad));
        return;
      case DatagramKind.SrtData: {
        if (!links.has(key)) return;
        const seq = peekSrtDataSeq(bytes);
        data.push(seq);
        const pending = unacked.get(key) ?? [];
        pending.push(seq);
        if (pending.length === 10) {
          reply(encodeSrtlaAck(pending));
          unacked.set(key, []);
        } else {
          unacked.set(key, pending);
        }
        return;
      }
      default:
    }
  });
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  return {
    port: udp.address().port,
    data,
    close: () =>
      new Promise<void>((resolve) => {
        udp.close(() => {
          resolve();
        });
      }),
  };
}

describe('createSender against a legacy receiver stand-in', () => {
  it('registers, sends data and reports the receiver as legacy', async () => {
    const legacy = await startLegacyReceiver();
    cleanup.push(() => legacy.close());
    const sender = await startSender(legacy.port, [
      { bindAddress: '127.0.0.2' },
      { bindAddress: '127.0.0.3' },
    ]);
    await waitFor(() => sender.stats().linksUp === 2, 'both links up');
    const encoder = await socket('127.0.0.1');
    await stream(encoder, sender, () => legacy.data.length, 0, 300);
    expect([...legacy.data].sort((a, b) => a - b)).toEqual(range(0, 300));
    await waitFor(() => sender.stats().receiverKind === 'legacy', 'a legacy keepalive echo');
    expect(sender.stats().links.every((link) => link.engine?.receiver === 'legacy')).toBe(true);
  });

  it('keeps a burst in order across links: a link’s batch leaves before the next link’s datagram', async () => {
    const legacy = await startLegacyReceiver();
    cleanup.push(() => legacy.close());
    const sender = await startSender(legacy.port, [
      { bindAddress: '127.0.0.2' },
      { bindAddress: '127.0.0.3' },
      { bindAddress: '127.0.0.4' },
    ]);
    await waitFor(() => sender.stats().linksUp === 3, 'three links up');
    const encoder = await socket('127.0.0.1');
    // Bursts of 200: the sender reads them in batches of up to 64 and spreads each over the links.
    await stream(encoder, sender, () => legacy.data.length, 0, 1000, 200);
    const carrying = sender.stats().links.filter((link) => (link.engine?.packetsSent ?? 0) > 0);
    expect(carrying.length).toBeGreaterThan(1);
    // One receiving socket on loopback: arrival order is the order the sender sent in.
    expect(legacy.data).toEqual(range(0, 1000));
  });
});

describe('createSender options and lifecycle', () => {
  it('rejects invalid settings with RuntimeOptionError before opening anything', async () => {
    const base = { listen: { port: 0 }, receiver: { host: '127.0.0.1', port: 5000 } };
    const invalid: CreateSenderOptions[] = [
      { ...base, links: [{ bindAddress: 'eth0' }] },
      { ...base, links: [{ bindAddress: '::1' }] },
      {
        ...base,
        links: [
          { id: 1, bindAddress: '127.0.0.2' },
          { id: 1, bindAddress: '127.0.0.3' },
        ],
      },
      { ...base, links: [{ bindAddress: '127.0.0.2', priority: -1 }] },
      { ...base, links: [], scheduler: 'fastest' as 'classic' },
      { ...base, listen: { port: 70000 }, links: [] },
      { ...base, receiver: { host: '127.0.0.1', port: 0 }, links: [] },
    ];
    for (const options of invalid) {
      await expect(createSender(options)).rejects.toBeInstanceOf(RuntimeOptionError);
    }
  });

  it('closes idempotently and refuses new links afterwards', async () => {
    const sender = await createSender({
      listen: { port: 0 },
      receiver: { host: '127.0.0.1', port: 5000 },
      links: [{ bindAddress: '127.0.0.2' }],
    });
    await sender.close();
    await sender.close();
    expect(sender.stats().links[0]?.socket.state).toBe('closed');
    await expect(sender.addLink({ bindAddress: '127.0.0.3' })).rejects.toBeInstanceOf(
      SenderClosedError,
    );
  });
});
