// createReceiver names groups and links: the stream id passes through in the caller's conclusion
// handshake and comes out as the group's `stream` label (never the raw id in redacted mode), in
// stats, log lines and diagnostics; a bond sender's link names come out as each link's `name`.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { encodeKeepalive } from '@bond/wire';
import { createMemoryNetwork, type MemoryNetwork } from '@bond/io';
import { waitFor } from '@bond/io/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createReceiver,
  receiverChannels,
  type Receiver,
  type ReceiverDiagnostic,
  type RuntimeLogger,
  type StreamLabelMode,
} from '../src/index.js';
import {
  createEndpoint,
  openRecordingSocket,
  registerGroup,
  type RecordingSocket,
} from './srtla-peer.js';
import { srtConclusion } from '@bond/wire/testing';

const SRT_PORT = 4001;
const RECEIVER = createEndpoint('127.0.0.1', 5000);
const STREAM_ID = 'publish:live/feed1:user:secretpass';

let network: MemoryNetwork;
const cleanup: (() => Promise<void>)[] = [];

beforeEach(() => {
  network = createMemoryNetwork({ seed: 11 });
});

afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
  expect(network.openSockets).toBe(0);
});

interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown> | undefined;
}

function recordingLogger(lines: LogLine[]): RuntimeLogger {
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, fields });
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function socket(address: string, port = 0): Promise<RecordingSocket> {
  const opened = await openRecordingSocket(network.backend, address, port);
  cleanup.push(() => opened.close());
  return opened;
}

async function startReceiver(lines: LogLine[], streamLabel?: StreamLabelMode): Promise<Receiver> {
  const receiver = await createReceiver({
    port: 5000,
    upstream: { host: '127.0.0.1', port: SRT_PORT },
    io: network.backend,
    logger: recordingLogger(lines),
    ...(streamLabel === undefined ? {} : { streamLabel }),
  });
  cleanup.push(() => receiver.close());
  return receiver;
}

function bondKeepalive(linkName: string): Uint8Array {
  return encodeKeepalive({
    timestampMs: 1,
    info: { connId: 1, window: 20_000, inFlight: 0, rttMs: 30, nakCount: 0, bitrateBytesPerSec: 0 },
    trailer: {
      body: 'sender',
      sender: {
        linkId: 1,
        linkName,
        interfaceKind: 'cellular',
        priority: 100,
        srttUs: 30_000,
        rttvarUs: 0,
        window: 20_000,
        inFlight: 0,
        packetsSent: 0,
        bytesSent: 0,
        packetsNaked: 0,
        packetsRetransmitted: 0,
        sendRateBytesPerSec: 0,
        sharePermille: 1000,
        capabilities: 0,
      },
    },
  });
}

describe('createReceiver: stream identity', () => {
  it('labels the group by its stream (redacted by default) in stats, logs and diagnostics', async () => {
    const lines: LogLine[] = [];
    const seen: ReceiverDiagnostic[] = [];
    const onStream = (message: unknown) => seen.push(message as ReceiverDiagnostic);
    subscribe(receiverChannels.groupStream, onStream);
    try {
      const listener = await socket('127.0.0.1', SRT_PORT);
      const receiver = await startReceiver(lines);
      const links = [await socket('127.0.0.2'), await socket('127.0.0.3')];
      await registerGroup(links, RECEIVER);
      expect(receiver.stats().groups[0]?.stream).toBeNull();
      links[0]?.send(srtConclusion(STREAM_ID), RECEIVER);
      links[0]?.send(bondKeepalive('wwan0'), RECEIVER);
      await waitFor(() => listener.received.length === 1, 'the handshake at the listener');
      await waitFor(
        () => receiver.stats().groups[0]?.links.some((link) => link.name === 'wwan0') === true,
        'the link named',
      );
      const snapshot = receiver.stats();
      expect(snapshot.streamLabel).toBe('redacted');
      const group = snapshot.groups[0];
      expect(group?.stream).toBe('live/feed1');
      expect(group !== undefined && 'streamId' in group).toBe(false);
      expect(group?.links.map((link) => link.name).sort()).toEqual([undefined, 'wwan0'].sort());
      expect(JSON.stringify(snapshot)).not.toContain('secretpass');
      expect(lines).toContainEqual({
        level: 'info',
        message: 'stream identified',
        fields: { groupId: 1, stream: 'live/feed1' },
      });
      expect(
        lines.find((line) => line.message === 'uplink named by the sender')?.fields,
      ).toMatchObject({ groupId: 1, stream: 'live/feed1', name: 'wwan0' });
      expect(seen).toEqual([{ receiver: '[::]:5000', groupId: 1, stream: 'live/feed1' }]);
      await receiver.close();
      expect(JSON.stringify(lines)).not.toContain('secretpass');
    } finally {
      unsubscribe(receiverChannels.groupStream, onStream);
    }
  });

  it('hashed and full modes', async () => {
    for (const [mode, expected] of [
      ['hashed', /^sid-[0-9a-f]{8}$/],
      ['full', /^publish:live\/feed1:user:secretpass$/],
    ] as const) {
      const lines: LogLine[] = [];
      await socket('127.0.0.1', SRT_PORT);
      const receiver = await startReceiver(lines, mode);
      const link = await socket('127.0.0.2');
      await registerGroup([link], RECEIVER);
      link.send(srtConclusion(STREAM_ID), RECEIVER);
      await waitFor(() => receiver.stats().groups[0]?.stream != null, 'the stream named');
      expect(receiver.stats().groups[0]?.stream).toMatch(expected);
      expect(receiver.stats().streamLabel).toBe(mode);
      // Close this mode's receiver and sockets before the next one binds the same ports.
      for (const close of cleanup.splice(0).reverse()) await close();
    }
  });

  it('refuses an unknown streamLabel mode before opening anything', async () => {
    await expect(
      createReceiver({
        port: 5000,
        upstream: { host: '127.0.0.1', port: SRT_PORT },
        io: network.backend,
        streamLabel: 'secret' as StreamLabelMode,
      }),
    ).rejects.toThrow(/streamLabel must be redacted, hashed, full/);
  });
});
