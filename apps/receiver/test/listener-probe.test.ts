// The SRT listener watcher's probe socket: one socket for the watcher's life, not one per check.
// A real loopback listener stand-in and a refused port; the backend counts the sockets it opens.
import { describe, expect, it } from 'vitest';
import { createEndpoint, dgramBackend, type BatchSocket, type IoBackend } from '@bond/io';
import { boundUdpSocket, waitFor } from '@bond/io/testing';
import { createLogger } from '@bond/runtime';
import { decodeSrtHandshake, encodeSrtHandshake } from '@bond/wire';
import { cleanupAfterEach, memoryLog } from '../../common/test/support/testing.js';
import { watchSrtListener, type ListenerProbe } from '../src/listener-probe.js';
import { freeUdpPort } from './helpers.js';

const defer = cleanupAfterEach();

/** dgram, counting the sockets opened and those still open. */
function countingBackend() {
  const open = new Set<BatchSocket>();
  let opened = 0;
  const backend: IoBackend = {
    name: 'dgram',
    async open(options) {
      opened++;
      const socket = await dgramBackend.open(options);
      open.add(socket);
      const close = socket.close.bind(socket);
      socket.close = () => {
        open.delete(socket);
        return close();
      };
      return socket;
    },
  };
  return { backend, opened: () => opened, stillOpen: () => open.size };
}

/** A loopback SRT listener stand-in: answers each induction handshake with an induction. */
async function answeringListener(): Promise<number> {
  const socket = await boundUdpSocket(defer, (message, from) => {
    const request = decodeSrtHandshake(message);
    socket.send(
      encodeSrtHandshake({ ...request, version: 5, cookie: 1234 }),
      from.port,
      from.address,
    );
  });
  return socket.address().port;
}

describe('watchSrtListener', () => {
  it('probes over one kept socket: reopened only for a new listener address and on restart, closed on stop', async () => {
    const counting = countingBackend();
    const log = memoryLog();
    let target = createEndpoint('127.0.0.1', await freeUdpPort());
    const probe: ListenerProbe = watchSrtListener(
      { target: () => target, fromListener: () => new Map() },
      50,
      createLogger('info', 'json', log),
      { io: counting.backend },
    );
    let stopped = false;
    defer(async () => {
      if (!stopped) await probe.stop();
    });

    // Down (refused), checked every 50 ms: many checks, one socket.
    await waitFor(
      () => probe.state().attempts >= 6,
      () => `6 checks, got ${JSON.stringify(probe.state())}`,
      5000,
    );
    expect(probe.state()).toMatchObject({ answered: false });
    // Linux answers a closed loopback port with ICMP (ECONNREFUSED on the kept socket, every check).
    expect(probe.state().detail).toMatch(
      process.platform === 'linux' ? /^refused/ : /refused|no answer/,
    );
    expect(counting.opened()).toBe(1);
    expect(log.lines().filter((line) => line.msg === 'SRT server does not answer')).toHaveLength(1);

    // A listener at a new address: the next check opens a socket to it, later checks reuse that.
    target = createEndpoint('127.0.0.1', await answeringListener());
    await waitFor(() => probe.state().answered === true, 'the new listener to answer', 5000);
    const afterSwitch = probe.state().attempts;
    await waitFor(
      () => probe.state().attempts >= afterSwitch + 4,
      () => `4 more checks, got ${JSON.stringify(probe.state())}`,
      5000,
    );
    expect(probe.state()).toMatchObject({ answered: true });
    expect(probe.state().detail).toMatch(/induction/);
    expect(counting.opened()).toBe(2);
    expect(counting.stillOpen()).toBe(1);
    expect(log.lines().filter((line) => line.msg === 'SRT server answers again')).toHaveLength(1);

    // A restart (the listener setting changed): a fresh socket, the old one closed.
    probe.restart();
    await waitFor(() => probe.state().attempts >= 2, 'two checks after the restart', 5000);
    expect(counting.opened()).toBe(3);
    await waitFor(() => counting.stillOpen() === 1, 'the old socket closed');

    stopped = true;
    await probe.stop();
    expect(counting.stillOpen()).toBe(0);
  });
});
