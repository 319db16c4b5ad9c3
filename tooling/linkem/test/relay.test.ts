// The relay itself: both directions, the sender's address learned and followed, NAT rebinding.
import { waitFor } from '@bond/io/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createLinkEmulator } from '../src/index.js';
import { closeAll, openPeer, sendSeries, sleep, track } from './udp-harness.js';

afterEach(closeAll);

describe('linkem relay', () => {
  it('relays both directions in order, from the upstream port, and counts them', async () => {
    const receiver = await openPeer();
    const sender = await openPeer();
    const emulator = track(
      await createLinkEmulator({
        links: [{ name: 'a', target: { address: '127.0.0.1', port: receiver.port } }],
      }),
    );
    const link = emulator.link('a');
    // The receiver echoes every datagram to where it came from.
    receiver.socket.on('message', (message, from) => {
      receiver.socket.send(message, from.port, from.address);
    });
    await sendSeries(sender, link.address, 100, { size: 200 });
    await waitFor(() => sender.received.length === 100, 'echoes back at the sender');

    expect(receiver.received.map((r) => r.seq)).toEqual([...Array(100).keys()]);
    expect(new Set(receiver.received.map((r) => r.from.port))).toEqual(
      new Set([link.upstreamPort]),
    );
    expect(sender.received.map((r) => r.seq)).toEqual([...Array(100).keys()]);
    expect(sender.received.every((r) => r.from.port === link.address.port)).toBe(true);
    const stats = link.stats();
    expect(stats.sender).toEqual({ address: '127.0.0.1', port: sender.port });
    for (const direction of [stats.up, stats.down]) {
      expect(direction.offered).toBe(100);
      expect(direction.delivered).toBe(100);
      expect(direction.deliveredBytes).toBe(100 * 200);
    }
  });

  it('works over IPv6 loopback', async () => {
    const receiver = await openPeer('::1');
    const sender = await openPeer('::1');
    const emulator = track(
      await createLinkEmulator({
        links: [
          {
            name: 'v6',
            listen: { address: '::1' },
            target: { address: '::1', port: receiver.port },
          },
        ],
      }),
    );
    await sendSeries(sender, emulator.link('v6').address, 5);
    await waitFor(() => receiver.received.length === 5, 'datagrams over ::1');
    expect(receiver.received[0]?.from.address).toBe('::1');
  });

  it('drops replies before any sender is known (noPeer) and follows a sender that moves', async () => {
    const receiver = await openPeer();
    const emulator = track(
      await createLinkEmulator({
        links: [{ name: 'a', target: { address: '127.0.0.1', port: receiver.port } }],
      }),
    );
    const link = emulator.link('a');
    receiver.send({ address: '127.0.0.1', port: link.upstreamPort }, 1);
    await waitFor(() => link.stats().down.dropped.noPeer === 1, 'a reply counted as noPeer');

    const first = await openPeer();
    const second = await openPeer();
    first.send(link.address, 10);
    await waitFor(() => receiver.received.length === 1, 'first sender relayed');
    second.send(link.address, 11);
    await waitFor(() => receiver.received.length === 2, 'second sender relayed');
    receiver.send({ address: '127.0.0.1', port: link.upstreamPort }, 12);
    await waitFor(() => second.received.length === 1, 'reply to the latest sender');
    expect(first.received).toEqual([]);
  });

  it('NAT rebinding: the receiver sees a new source port and replies to the old one are dropped', async () => {
    const receiver = await openPeer();
    const sender = await openPeer();
    const emulator = track(
      await createLinkEmulator({
        links: [{ name: 'a', target: { address: '127.0.0.1', port: receiver.port } }],
      }),
    );
    const link = emulator.link('a');
    sender.send(link.address, 1);
    await waitFor(() => receiver.received.length === 1, 'before rebinding');
    const oldPort = receiver.received[0]?.from.port ?? -1;
    expect(oldPort).toBe(link.upstreamPort);

    const newPort = await link.rebind();
    expect(newPort).not.toBe(oldPort);
    expect(link.upstreamPort).toBe(newPort);
    sender.send(link.address, 2);
    await waitFor(() => receiver.received.length === 2, 'after rebinding');
    expect(receiver.received[1]?.from.port).toBe(newPort);

    receiver.send({ address: '127.0.0.1', port: oldPort }, 3);
    receiver.send({ address: '127.0.0.1', port: newPort }, 4);
    await waitFor(() => sender.received.length === 1, 'the reply to the new port');
    await waitFor(() => link.stats().down.dropped.stalePort === 1, 'stale reply counted');
    expect(sender.received.map((r) => r.seq)).toEqual([4]);
    expect(link.stats().rebinds).toBe(1);
  });

  it('rebinds on schedule (rebindAtMs)', async () => {
    const receiver = await openPeer();
    const emulator = track(
      await createLinkEmulator({
        links: [
          {
            name: 'a',
            target: { address: '127.0.0.1', port: receiver.port },
            rebindAtMs: [20, 40],
          },
        ],
      }),
    );
    const link = emulator.link('a');
    const before = link.upstreamPort;
    await waitFor(() => link.stats().rebinds === 2, 'two scheduled rebindings', 2000);
    expect(link.upstreamPort).not.toBe(before);
  });

  it('close() discards what is still in flight and freezes the counters', async () => {
    const receiver = await openPeer();
    const sender = await openPeer();
    const emulator = track(
      await createLinkEmulator({
        links: [
          {
            name: 'a',
            target: { address: '127.0.0.1', port: receiver.port },
            up: { delayMs: 200 },
          },
        ],
      }),
    );
    const link = emulator.link('a');
    await sendSeries(sender, link.address, 5);
    await waitFor(() => link.stats().up.inFlight === 5, 'five in flight');
    await emulator.close();
    const frozen = link.stats().up;
    expect(frozen).toMatchObject({ offered: 5, delivered: 0, inFlight: 5 });
    await sleep(250);
    expect(receiver.received).toEqual([]);
    expect(link.stats().up).toEqual(frozen);
  });
});
