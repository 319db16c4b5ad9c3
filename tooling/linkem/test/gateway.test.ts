// Gateway mode: one listen address for every link, the sender's source address picks the link, so
// a sender whose links all send to one receiver address (bond-sender, srtla_send) gets one emulated
// path per link.
import { waitFor } from '@bond/io/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createLinkEmulator, LinkemConfigError } from '../src/index.js';
import { closeAll, openPeer, sendSeries, track } from './udp-harness.js';

afterEach(closeAll);

describe('linkem gateway', () => {
  it('routes by source address, impairs per link and replies from the gateway', async () => {
    const receiver = await openPeer();
    receiver.socket.on('message', (message, from) => {
      receiver.socket.send(message, from.port, from.address);
    });
    const fast = await openPeer('127.0.0.2');
    const dead = await openPeer('127.0.0.3');
    const stranger = await openPeer('127.0.0.4');
    const target = { address: '127.0.0.1', port: receiver.port };
    const emulator = track(
      await createLinkEmulator({
        gateway: { address: '127.0.0.1' },
        links: [
          { name: 'fast', from: '127.0.0.2', target },
          { name: 'dead', from: '127.0.0.3', target, up: { lossRate: 1 } },
        ],
      }),
    );
    const gateway = emulator.gateway;
    if (gateway === undefined) throw new Error('no gateway');
    expect(emulator.link('fast').address).toEqual(gateway);

    await sendSeries(fast, gateway, 20);
    await sendSeries(dead, gateway, 10);
    await sendSeries(stranger, gateway, 5);
    await waitFor(() => fast.received.length === 20, 'echoes back at the fast link');

    // Each link reached the receiver from its own upstream port; the dead link not at all.
    expect(new Set(receiver.received.map((r) => r.from.port))).toEqual(
      new Set([emulator.link('fast').upstreamPort]),
    );
    expect(fast.received.every((r) => r.from.port === gateway.port)).toBe(true);
    expect(emulator.link('fast').stats().sender).toEqual({ address: '127.0.0.2', port: fast.port });
    await waitFor(() => emulator.unrouted() === 5, 'the stranger counted as unrouted');
    const deadStats = emulator.link('dead').stats();
    expect(deadStats.up.offered).toBe(10);
    expect(deadStats.up.delivered).toBe(0);
    expect(dead.received).toHaveLength(0);
    expect(stranger.received).toHaveLength(0);

    await emulator.close();
    // The gateway was closed with the emulator: its port can be bound again.
    const again = track(
      await createLinkEmulator({
        gateway: { address: '127.0.0.1', port: gateway.port },
        links: [{ name: 'x', from: '127.0.0.2', target }],
      }),
    );
    expect(again.gateway?.port).toBe(gateway.port);
  });

  it('refuses links without a source, with a listen of their own, or sharing a source', async () => {
    const target = { address: '127.0.0.1', port: 9 };
    const bad = [
      [{ name: 'a', target }, /links\[0\]\.from.*required/],
      [
        { name: 'a', from: '127.0.0.2', listen: { port: 0 }, target },
        /links\[0\]\.listen.*gateway/,
      ],
      [{ name: 'a', from: 'not-an-ip', target }, /links\[0\]\.from.*IP address/],
    ] as const;
    for (const [link, message] of bad) {
      await expect(createLinkEmulator({ gateway: {}, links: [link] })).rejects.toThrow(message);
    }
    await expect(
      createLinkEmulator({
        gateway: {},
        links: [
          { name: 'a', from: '127.0.0.2', target },
          { name: 'b', from: '127.0.0.2', target },
        ],
      }),
    ).rejects.toThrow(/links\[1\]\.from: 127\.0\.0\.2 is taken/);
    await expect(
      createLinkEmulator({ links: [{ name: 'a', from: '127.0.0.2', target }] }),
    ).rejects.toBeInstanceOf(LinkemConfigError);
  });
});
