// createReceiver on the in-memory network: registration, forwarding, ACKs, return traffic,
// timeouts, a refusing SRT listener, hostile input, limits and a clean close.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  DatagramKind,
  SRT_CONTROL,
  SRT_HANDSHAKE_TYPE,
  classifyDatagram,
  decodeSrtlaAck,
  encodeKeepalive,
  encodeReg1,
  encodeReg2,
  encodeSrtAck,
  encodeSrtInductionProbe,
  peekSrtControlType,
  peekSrtDataSeq,
} from '@bond/wire';
import { createMemoryNetwork, type MemoryNetwork } from '@bond/io';
import { waitFor } from '@bond/io/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  RuntimeOptionError,
  createReceiver,
  receiverChannels,
  type Receiver,
  type ReceiverDiagnostic,
  type ReceiverGroupSnapshot,
} from '../src/index.js';
import {
  createEndpoint,
  kinds,
  openRecordingSocket,
  registerGroup,
  senderId,
  srtData,
  type RecordingSocket,
} from './srtla-peer.js';
import { srtHandshake } from '@bond/wire/testing';

const SRT_PORT = 4001;
const RECEIVER = createEndpoint('127.0.0.1', 5000);

let network: MemoryNetwork;
const cleanup: (() => Promise<void>)[] = [];

beforeEach(() => {
  network = createMemoryNetwork({ seed: 7 });
});

afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
  expect(network.openSockets).toBe(0);
});

async function startReceiver(
  options: Partial<Parameters<typeof createReceiver>[0]> = {},
): Promise<Receiver> {
  const receiver = await createReceiver({
    port: 5000,
    upstream: { host: '127.0.0.1', port: SRT_PORT },
    io: network.backend,
    ...options,
  });
  cleanup.push(() => receiver.close());
  return receiver;
}

/** `list[index]`, failing the test when it is missing. */
function at<T>(list: readonly T[], index: number): T {
  const item = list[index];
  if (item === undefined) throw new Error(`no item ${index}`);
  return item;
}

async function socket(address: string, port = 0): Promise<RecordingSocket> {
  const opened = await openRecordingSocket(network.backend, address, port);
  cleanup.push(() => opened.close());
  return opened;
}

describe('createReceiver on the memory network', () => {
  it('registers two links, forwards SRT to the listener and ACKs every 10 data packets', async () => {
    const listener = await socket('127.0.0.1', SRT_PORT);
    const receiver = await startReceiver();
    expect(receiver.backend).toBe('memory');
    const links = [await socket('127.0.0.2'), await socket('127.0.0.3')];
    await registerGroup(links, RECEIVER);

    for (let seq = 0; seq < 30; seq++) links[seq % 2]?.send(srtData(seq), RECEIVER);
    await waitFor(() => listener.received.length === 30, '30 datagrams at the listener');
    // Each link's packets arrive in order; the network interleaves the two links in batches.
    const forwarded = listener.received.map((d) => peekSrtDataSeq(d.bytes));
    expect([...forwarded].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(forwarded.filter((seq) => seq % 2 === 0)).toEqual(
      Array.from({ length: 15 }, (_, i) => i * 2),
    );
    // One upstream socket for the group: every datagram came from the same source.
    expect(new Set(listener.received.map((d) => `${d.from.ip}:${d.from.port}`)).size).toBe(1);

    // 15 data packets per link: one SRTLA ACK each, carrying that link's first 10 sequences.
    const acks = (link: RecordingSocket) =>
      link.received
        .filter((d) => classifyDatagram(d.bytes) === DatagramKind.SrtlaAck)
        .map((d) => decodeSrtlaAck(d.bytes));
    await waitFor(() => links.every((link) => acks(link).length === 1), 'one ACK per link');
    expect(acks(at(links, 0))[0]).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(acks(at(links, 1))[0]).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);

    const stats = receiver.stats();
    expect(stats.groups).toHaveLength(1);
    const group = stats.groups[0];
    expect(group?.state).toBe('active');
    expect(group?.packetsForwarded).toBe(30);
    expect(group?.upstream.state).toBe('open');
    expect(group?.upstream.datagramsSent).toBe(30);
    expect(group?.links.map((link) => link.address).sort()).toEqual(
      links.map((link) => `${link.socket.local.ip}:${link.socket.local.port}`).sort(),
    );
    expect(stats.totals.forwardedToListener).toBe(30);

    // The same snapshot with its groups handed out one at a time (what /metrics reads).
    const visited: ReceiverGroupSnapshot[] = [];
    const each = receiver.statsEach((one) => visited.push(one));
    expect(each.groups).toEqual([]);
    expect(each.totals).toEqual(stats.totals);
    // Everything but the times, which move between the two reads.
    const steady = (one: ReceiverGroupSnapshot) => ({
      id: one.id,
      tag: one.tag,
      state: one.state,
      stream: one.stream,
      packetsForwarded: one.packetsForwarded,
      bytesForwarded: one.bytesForwarded,
      upstream: one.upstream,
      links: one.links.map((link) => [link.address, link.packetsReceived]),
    });
    expect(visited.map(steady)).toEqual(stats.groups.map(steady));
    // Every field of the core's group statistics but the raw stream id, and the runtime's two.
    expect(Object.keys(at(visited, 0)).sort()).toEqual(
      [
        ...['id', 'tag', 'state', 'newNetworkJoins', 'stream', 'malformedHandshakes', 'ageMs'],
        ...['lastActivityAgoMs', 'lastAddress', 'packetsForwarded', 'bytesForwarded'],
        ...['packetsFromUpstream', 'packetsToSenders', 'forwardRateBytesPerSec', 'lastDataAgoMs'],
        ...['senderShutdownAgoMs', 'listenerFeedback', 'srtAccepted', 'srtRejection'],
        ...['srtRejections', 'highestSeq', 'forwardPath', 'links', 'upstream'],
      ].sort(),
    );
  });

  it('sends SRT ACKs from the listener on every link and handshakes to the last address only', async () => {
    const listener = await socket('127.0.0.1', SRT_PORT);
    const receiver = await startReceiver();
    const links = [await socket('127.0.0.2'), await socket('127.0.0.3')];
    await registerGroup(links, RECEIVER);
    links[0]?.send(srtData(1), RECEIVER);
    links[1]?.send(srtData(2), RECEIVER);
    await waitFor(() => listener.received.length === 2, 'data at the listener');
    const groupSocket = listener.received[0]?.from;
    if (groupSocket === undefined) throw new Error('no source');

    const before = links.map((link) => link.received.length);
    listener.send(
      encodeSrtAck({ ackNumber: 1, timestamp: 0, destinationSocketId: 1, ackSeq: 3 }),
      groupSocket,
    );
    listener.send(encodeSrtInductionProbe(), groupSocket);
    const srtControl = (link: RecordingSocket, from: number) =>
      link.received
        .slice(from)
        .filter((d) => classifyDatagram(d.bytes) === DatagramKind.SrtControl)
        .map((d) => peekSrtControlType(d.bytes));
    await waitFor(
      () => srtControl(at(links, 1), before[1] ?? 0).length === 2,
      'ACK and handshake on the last link',
    );
    expect(srtControl(at(links, 0), before[0] ?? 0)).toEqual([SRT_CONTROL.ACK]);
    expect(srtControl(at(links, 1), before[1] ?? 0)).toEqual([
      SRT_CONTROL.ACK,
      SRT_CONTROL.HANDSHAKE,
    ]);
    // The cheap per-group read of the listener's traffic agrees with the full snapshot.
    const group = at(receiver.stats().groups, 0);
    expect(group.upstream.datagramsReceived).toBe(2);
    expect(receiver.listenerTraffic()).toEqual(new Map([[group.id, 2]]));
  });

  it('publishes group and link events on diagnostics channels and expires idle groups', async () => {
    const seen: { channel: string; message: ReceiverDiagnostic }[] = [];
    const handlers = Object.values(receiverChannels).map((name) => {
      const handler = (message: unknown) => {
        seen.push({ channel: name, message: message as ReceiverDiagnostic });
      };
      subscribe(name, handler);
      return () => unsubscribe(name, handler);
    });
    try {
      await socket('127.0.0.1', SRT_PORT);
      const receiver = await startReceiver({
        pendingGroupTimeoutMs: 60,
        linkTimeoutMs: 60,
        housekeepingIntervalMs: 20,
      });
      const link = await socket('127.0.0.2');
      await registerGroup([link], RECEIVER);
      await waitFor(() => receiver.stats().groups.length === 0, 'the pending group to expire');
      const linkAddress = `127.0.0.2:${link.socket.local.port}`;
      expect(seen.map((event) => event.channel)).toEqual([
        receiverChannels.groupCreated,
        receiverChannels.linkUp,
        receiverChannels.linkDown,
        receiverChannels.groupRemoved,
      ]);
      expect(seen[0]?.message).toMatchObject({ groupId: 1, address: linkAddress });
      expect(seen[0]?.message.receiver).toBe('[::]:5000');
      expect(seen[3]?.message.reason).toMatch(/pending group timed out|timed out/);
      expect(receiver.stats().registration.groupsRemoved).toBe(1);
    } finally {
      for (const stop of handlers) stop();
    }
  });

  it('keeps a group whose SRT listener refuses, says so on upstreamError, and resumes once the listener is back', async () => {
    const errors: ReceiverDiagnostic[] = [];
    const onError = (message: unknown) => errors.push(message as ReceiverDiagnostic);
    subscribe(receiverChannels.upstreamError, onError);
    try {
      const receiver = await startReceiver();
      const link = await socket('127.0.0.2');
      await registerGroup([link], RECEIVER);
      // Nothing listens on SRT_PORT: the first send is refused, the next one reports it.
      for (let seq = 0; seq < 3; seq++) {
        link.send(srtData(seq), RECEIVER);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await waitFor(() => errors.length > 0, 'the refusal on the upstreamError channel');
      expect(errors[0]).toMatchObject({ groupId: 1, errno: 'ECONNREFUSED' });
      expect(receiver.stats().dropped.upstreamSendErrors).toBeGreaterThan(0);
      // The group stays (its sender does not have to register again).
      expect(receiver.stats().groups.map((group) => group.id)).toEqual([1]);

      // The listener comes up: the same group's stream reaches it.
      const listener = await socket('127.0.0.1', SRT_PORT);
      // (The refusal still pending on the socket fails one send, as in the kernel.)
      link.send(srtData(3), RECEIVER);
      link.send(srtData(4), RECEIVER);
      await waitFor(() => listener.received.length >= 1, 'data after the listener came back');
      expect(receiver.stats().groups.map((group) => group.id)).toEqual([1]);
      expect(receiver.stats().registration.groupsCreated).toBe(1);
    } finally {
      unsubscribe(receiverChannels.upstreamError, onError);
    }
  });

  it('says in words when the SRT listener rejects a stream, once per group, and counts it', async () => {
    const rejected: ReceiverDiagnostic[] = [];
    const onRejected = (message: unknown) => rejected.push(message as ReceiverDiagnostic);
    subscribe(receiverChannels.srtRejected, onRejected);
    const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    const record =
      (level: string) =>
      (message: string, fields: Record<string, unknown> = {}) =>
        lines.push({ level, message, fields });
    try {
      const listener = await socket('127.0.0.1', SRT_PORT);
      const receiver = await startReceiver({
        logger: {
          debug: record('debug'),
          info: record('info'),
          warn: record('warn'),
          error: record('error'),
        },
      });
      const link = await socket('127.0.0.2');
      await registerGroup([link], RECEIVER);
      // The caller's conclusion, twice; the listener answers each with "wrong passphrase".
      for (let attempt = 0; attempt < 2; attempt++) {
        link.send(srtHandshake({ handshakeType: SRT_HANDSHAKE_TYPE.CONCLUSION }), RECEIVER);
        await waitFor(() => listener.received.length === attempt + 1, 'the conclusion upstream');
        const from = at(listener.received, attempt).from;
        listener.send(srtHandshake({ handshakeType: 1010 }), from);
        await waitFor(
          () => receiver.stats().groups[0]?.srtRejections === attempt + 1,
          'the rejection through the group',
        );
      }
      // Forwarded to the caller both times.
      await waitFor(
        () =>
          link.received.filter((d) => peekSrtControlType(d.bytes) === SRT_CONTROL.HANDSHAKE)
            .length === 2,
        'both rejections at the caller',
      );
      const said = lines.filter((line) => line.message.startsWith('the SRT server rejected'));
      expect(said).toEqual([
        {
          level: 'warn',
          message: 'the SRT server rejected the stream: wrong passphrase (1010)',
          fields: expect.objectContaining({ groupId: 1, reason: 'SRT_REJ_BADSECRET' }) as unknown,
        },
      ]);
      expect(rejected).toEqual([
        expect.objectContaining({ groupId: 1, reason: 'SRT_REJ_BADSECRET', code: 1010 }),
      ]);
      expect(receiver.stats().srtRejections).toEqual([
        { code: 1010, name: 'SRT_REJ_BADSECRET', words: 'wrong passphrase', streams: 1 },
      ]);
    } finally {
      unsubscribe(receiverChannels.srtRejected, onRejected);
    }
  });

  it('survives malformed input and counts each drop by cause', async () => {
    const listener = await socket('127.0.0.1', SRT_PORT);
    const receiver = await startReceiver();
    const stranger = await socket('127.0.0.9');
    const link = await socket('127.0.0.2');
    // Before registration: everything from an unknown address is dropped silently.
    stranger.send(srtData(1), RECEIVER);
    stranger.send(new Uint8Array([0x92, 0x00, 1, 2, 3]), RECEIVER); // REG1 of the wrong length
    await registerGroup([link], RECEIVER);
    const junk = [
      new Uint8Array(0),
      new Uint8Array([0x80]),
      new Uint8Array(15), // shorter than an SRT header
      Uint8Array.from([0x9f, 0xff, ...new Uint8Array(30)]), // unknown SRTLA type
      Uint8Array.from([0x92, 0x02, ...new Uint8Array(30)]), // REG3 sent to a receiver
      Uint8Array.from({ length: 1400 }, (_, i) => (i * 31) & 0xff),
    ];
    for (const bytes of junk) link.send(bytes, RECEIVER);
    link.send(encodeKeepalive({ timestampMs: 5 }), RECEIVER);
    link.send(srtData(7), RECEIVER);
    await waitFor(
      () => listener.received.some((d) => classifyDatagram(d.bytes) === DatagramKind.SrtData),
      'the good packet after the junk',
    );
    await waitFor(() => kinds(link).includes(DatagramKind.SrtlaKeepalive), 'keepalive echo');
    const stats = receiver.stats();
    expect(stats.dropped.unregistered).toBe(2);
    expect(stats.dropped.short).toBe(3);
    expect(stats.dropped.srtla).toBe(2);
    // The 1400 random bytes start with bit 31 clear: SRT data to SRT (SRT rejects it, not us).
    expect(stats.groups[0]?.packetsForwarded).toBe(2);
  });

  it('answers a flood of REG1 with no state and no socket; REG2s fill the table, still no socket', async () => {
    await socket('127.0.0.1', SRT_PORT);
    const receiver = await startReceiver({ maxGroups: 4 });
    const senders: RecordingSocket[] = [];
    for (let n = 0; n < 40; n++) senders.push(await socket(`127.0.1.${n + 1}`));
    const baseline = network.openSockets;
    for (const [n, sender] of senders.entries()) sender.send(encodeReg1(senderId(n)), RECEIVER);
    await waitFor(
      () => senders.every((sender) => sender.received.length > 0),
      'a reply to every REG1',
    );
    let stats = receiver.stats();
    // REG1 is answered statelessly: no group, no socket.
    expect(stats.groups.length).toBe(0);
    expect(stats.registration.reg1Received).toBe(40);
    expect(network.openSockets).toBe(baseline);
    // Each sender brings its id back: every REG2 gets a group, pending ones evicted oldest first.
    for (const sender of senders) {
      const reply = sender.received.find(
        (d) => classifyDatagram(d.bytes) === DatagramKind.SrtlaReg2,
      );
      if (reply === undefined) throw new Error('no REG2 answer');
      sender.send(reply.bytes.slice(), RECEIVER);
    }
    await waitFor(
      () =>
        receiver.stats().registration.reg2Received === 40 && receiver.stats().groups.length === 4,
      'every REG2 handled',
    );
    stats = receiver.stats();
    expect(stats.registration.groupsEvicted).toBe(36);
    expect(stats.registration.pendingGroups).toBe(4);
    expect(stats.groups.every((group) => group.upstream.state === 'none')).toBe(true);
    // Pending groups have no upstream socket: nothing was opened for them.
    expect(network.openSockets).toBe(baseline);
  });

  it("opens a group's upstream socket on its first SRT packet, the caller's handshake", async () => {
    const listener = await socket('127.0.0.1', SRT_PORT);
    const receiver = await startReceiver();
    const link = await socket('127.0.0.2');
    await registerGroup([link], RECEIVER);
    const baseline = network.openSockets;
    expect(receiver.stats().groups[0]).toMatchObject({
      state: 'pending',
      upstream: { state: 'none' },
    });
    link.send(srtHandshake({ handshakeType: SRT_HANDSHAKE_TYPE.INDUCTION }), RECEIVER);
    await waitFor(() => listener.received.length === 1, 'the handshake at the listener');
    expect(classifyDatagram(at(listener.received, 0).bytes)).toBe(DatagramKind.SrtControl);
    expect(network.openSockets).toBe(baseline + 1);
    expect(receiver.stats().groups[0]).toMatchObject({
      state: 'active',
      upstream: { state: 'open' },
    });
    expect(receiver.stats().registration.pendingGroups).toBe(0);
  });

  it('warns once, in words, when a link joins a live stream from a network none of its links use', async () => {
    const published: ReceiverDiagnostic[] = [];
    const onJoin = (message: unknown) => published.push(message as ReceiverDiagnostic);
    subscribe(receiverChannels.linkFromNewNetwork, onJoin);
    cleanup.push(() => {
      unsubscribe(receiverChannels.linkFromNewNetwork, onJoin);
      return Promise.resolve();
    });
    const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    const record =
      (level: string) =>
      (message: string, fields: Record<string, unknown> = {}) =>
        lines.push({ level, message, fields });
    await socket('127.0.0.1', SRT_PORT);
    const receiver = await startReceiver({
      logger: {
        debug: record('debug'),
        info: record('info'),
        warn: record('warn'),
        error: record('error'),
      },
    });
    const link = await socket('127.0.0.2');
    const groupId = await registerGroup([link], RECEIVER);
    link.send(srtData(1), RECEIVER);
    await waitFor(() => receiver.stats().groups[0]?.state === 'active', 'the group active');
    // 127.1.x is another /16 than 127.0.x: the warning; 127.0.0.3 is not.
    const neighbour = await socket('127.0.0.3');
    const stranger = await socket('127.1.0.9');
    for (const other of [neighbour, stranger, stranger]) {
      other.send(encodeReg2(groupId), RECEIVER);
      await waitFor(() => kinds(other).includes(DatagramKind.SrtlaReg3), 'REG3');
    }
    await waitFor(() => receiver.stats().groups[0]?.links.length === 3, 'three links');
    const warned = lines.filter((line) =>
      line.message.includes('from a network none of its other uplinks use'),
    );
    expect(warned).toHaveLength(1);
    expect(at(warned, 0)).toMatchObject({
      level: 'warn',
      fields: { address: stranger.socket.local.toString() },
    });
    expect(at(warned, 0).message).toContain('SRT passphrase');
    expect(receiver.stats().registration.newNetworkJoins).toBe(1);
    expect(published).toEqual([
      { receiver: receiver.stats().listen, groupId: 1, address: stranger.socket.local.toString() },
    ]);
  });

  it('refuses a link past the per-group limit with REG_ERR', async () => {
    await socket('127.0.0.1', SRT_PORT);
    const receiver = await startReceiver({ maxLinksPerGroup: 2 });
    const links = [await socket('127.0.0.2'), await socket('127.0.0.3')];
    const groupId = await registerGroup(links, RECEIVER);
    const third = await socket('127.0.0.4');
    third.send(encodeReg2(groupId), RECEIVER);
    await waitFor(() => third.received.length === 1, 'a reply to the third link');
    expect(kinds(third)).toEqual([DatagramKind.SrtlaRegErr]);
    expect(receiver.stats().groups[0]?.links).toHaveLength(2);
  });

  it('serves IPv6 senders and prints their addresses in brackets', async () => {
    const listener = await socket('127.0.0.1', SRT_PORT);
    const receiver = await startReceiver({ address: '::' });
    const link = await socket('::1');
    await registerGroup([link], createEndpoint('::1', 5000));
    link.send(srtData(3), createEndpoint('::1', 5000));
    await waitFor(() => listener.received.length === 1, 'IPv6 data forwarded');
    expect(receiver.stats().groups[0]?.links[0]?.address).toBe(`[::1]:${link.socket.local.port}`);
  });

  it('runs the reorder engine when asked, and rejects settings it cannot honour', async () => {
    await socket('127.0.0.1', SRT_PORT);
    const receiver = await startReceiver({ reorder: { fixedMs: 40 } });
    const link = await socket('127.0.0.2');
    await registerGroup([link], RECEIVER);
    expect(receiver.stats().reorder).toBe('40 ms');
    expect(receiver.stats().groups[0]?.forwardPath).toMatchObject({ mode: 'fixed 40 ms' });
    await expect(startReceiver({ port: 5001, reorder: { fixedMs: -1 } })).rejects.toThrow(
      RuntimeOptionError,
    );
  });

  it('configure() lowers and raises the link limit of a running group without dropping a link', async () => {
    await socket('127.0.0.1', SRT_PORT);
    const receiver = await startReceiver({ maxLinksPerGroup: 3 });
    const links = [await socket('127.0.0.2'), await socket('127.0.0.3')];
    const groupId = await registerGroup(links, RECEIVER);
    const third = await socket('127.0.0.4');

    receiver.configure({ maxLinksPerGroup: 1 });
    expect(receiver.stats().limits.maxLinksPerGroup).toBe(1);
    third.send(encodeReg2(groupId), RECEIVER);
    await waitFor(() => third.received.length === 1, 'a reply to the third link');
    expect(kinds(third)).toEqual([DatagramKind.SrtlaRegErr]);
    expect(receiver.stats().groups[0]?.links).toHaveLength(2);

    receiver.configure({ maxLinksPerGroup: 3 });
    third.send(encodeReg2(groupId), RECEIVER);
    await waitFor(() => third.received.length === 2, 'a second reply to the third link');
    expect(kinds(third)).toEqual([DatagramKind.SrtlaRegErr, DatagramKind.SrtlaReg3]);
    expect(receiver.stats().groups[0]?.links).toHaveLength(3);
  });

  it('configure() applies a lower group limit to new groups only, and timeouts to existing ones', async () => {
    await socket('127.0.0.1', SRT_PORT);
    const receiver = await startReceiver({ maxGroups: 3, housekeepingIntervalMs: 20 });
    await registerGroup([await socket('127.0.0.2')], RECEIVER, 1);
    await registerGroup([await socket('127.0.0.3')], RECEIVER, 2);
    receiver.configure({ maxGroups: 1 });
    const late = await socket('127.0.0.4');
    late.send(encodeReg1(senderId(3)), RECEIVER);
    await waitFor(() => late.received.length === 1, 'a reply to REG1');
    expect(kinds(late)).toEqual([DatagramKind.SrtlaRegErr]);
    expect(receiver.stats().groups).toHaveLength(2);
    expect(receiver.stats().registration.groupsEvicted).toBe(0);

    // Both groups are pending: the default 5 s keeps them; 30 ms removes them at the next tick.
    receiver.configure({ pendingGroupTimeoutMs: 30 });
    expect(receiver.stats().limits).toMatchObject({ maxGroups: 1, pendingGroupTimeoutMs: 30 });
    await waitFor(() => receiver.stats().groups.length === 0, 'the pending groups to expire');
  });

  it('configure() turns reordering on for a running group and off again, releasing what it held', async () => {
    const listener = await socket('127.0.0.1', SRT_PORT);
    const receiver = await startReceiver();
    const link = await socket('127.0.0.2');
    // A second link that carries nothing: 10 and 12 may have company on it, so both are held.
    const silent = await socket('127.0.0.3');
    await registerGroup([link, silent], RECEIVER);
    link.send(srtData(1), RECEIVER);
    await waitFor(() => listener.received.length === 1, 'pass-through forwarding');

    // A 5 s hold: what arrives after a gap waits for the gap (far longer than this test).
    receiver.configure({ reorder: { fixedMs: 5000 } });
    expect(receiver.stats().reorder).toBe('5000 ms');
    link.send(srtData(10), RECEIVER);
    link.send(srtData(12), RECEIVER);
    await waitFor(
      () => (receiver.stats().groups[0]?.forwardPath as { held?: number }).held === 2,
      'two packets held',
    );
    expect(listener.received).toHaveLength(1);

    // Off again: the held packets go out at once, in order, and nothing is dropped.
    receiver.configure({ reorder: 'off' });
    await waitFor(() => listener.received.length === 3, 'the held packets released');
    expect(listener.received.map((d) => peekSrtDataSeq(d.bytes))).toEqual([1, 10, 12]);
    expect(receiver.stats().groups[0]?.forwardPath).toEqual({ mode: 'off' });
    link.send(srtData(13), RECEIVER);
    await waitFor(() => listener.received.length === 4, 'pass-through again');
  });

  it('configure() refuses an invalid value and changes nothing', async () => {
    const receiver = await startReceiver({ maxLinksPerGroup: 4 });
    expect(() => {
      receiver.configure({ maxLinksPerGroup: 2, maxGroups: 0 });
    }).toThrow(/maxGroups must be a whole number of at least 1, got 0/);
    expect(() => {
      receiver.configure({ maxLinksPerGroup: 2, reorder: { fixedMs: -5 } });
    }).toThrow(RuntimeOptionError);
    expect(receiver.stats().limits.maxLinksPerGroup).toBe(4);
    // The default, as bond-receiver's: auto.
    expect(receiver.stats().reorder).toBe('auto');
  });

  it('closes every socket it opened, also with groups still open', async () => {
    await socket('127.0.0.1', SRT_PORT);
    const receiver = await startReceiver();
    const link = await socket('127.0.0.2');
    await registerGroup([link], RECEIVER);
    // The group's upstream socket opens on its first SRT packet.
    link.send(srtData(1), RECEIVER);
    await waitFor(() => network.openSockets === 4, "the group's upstream socket");
    await receiver.close();
    await receiver.close();
    expect(network.openSockets).toBe(2);
  });
});
