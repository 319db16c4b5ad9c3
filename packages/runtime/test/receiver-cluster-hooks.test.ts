// createReceiver's `cluster` option (issue 14) on the in-memory network: the node's route hook
// sees datagrams of sources that are no link before the engine, injected datagrams are handled as
// if they came from their source, replies can leave another way, and the node follows the events.
import { DatagramKind, classifyDatagram, encodeReg2 } from '@bond/wire';
import { createMemoryNetwork, type Address, type MemoryNetwork } from '@bond/io';
import { waitFor } from '@bond/io/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReceiverEvent } from '@bond/core';
import { createReceiver, type ReceiverClusterPort } from '../src/index.js';
import {
  createEndpoint,
  kinds,
  openRecordingSocket,
  registerGroup,
  srtData,
  type RecordingSocket,
} from './srtla-peer.js';

const SRT_PORT = 4001;
const RECEIVER = createEndpoint('127.0.0.1', 5000);
const KEYS = new Uint8Array(32).fill(9);

let network: MemoryNetwork;
const cleanup: (() => Promise<void>)[] = [];
beforeEach(() => {
  network = createMemoryNetwork({ seed: 3 });
});
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
  expect(network.openSockets).toBe(0);
});

async function socket(address: string, port = 0): Promise<RecordingSocket> {
  const opened = await openRecordingSocket(network.backend, address, port);
  cleanup.push(() => opened.close());
  return opened;
}

describe('createReceiver as a cluster node', () => {
  it('routes, injects, diverts replies and reports events through the hooks', async () => {
    const listener = await socket('127.0.0.1', SRT_PORT);
    const taken: string[] = [];
    const diverted: { to: string; kind: DatagramKind }[] = [];
    const events: ReceiverEvent[] = [];
    const divertTo = new Set<string>();
    let port: ReceiverClusterPort | undefined;
    const receiver = await createReceiver({
      port: 5000,
      upstream: { host: '127.0.0.1', port: SRT_PORT },
      io: network.backend,
      reorder: 'off',
      cluster: {
        cookieKeys: KEYS,
        nodeIndex: 7,
        attach(given) {
          port = given;
          return {
            // Takes everything from 127.0.0.9 (as if forwarded elsewhere).
            route: (from: Address) => {
              if (from.ip !== '127.0.0.9') return false;
              taken.push(from.toString());
              return true;
            },
            sendToLink: (to, bytes) => {
              if (!divertTo.has(to.toString())) return false;
              diverted.push({ to: to.toString(), kind: classifyDatagram(bytes) });
              return true;
            },
            onEvent: (event) => events.push(event),
          };
        },
      },
    });
    cleanup.push(() => receiver.close());
    if (port === undefined) throw new Error('attach was not called');
    const node = port;
    expect(node.local.port).toBe(5000);

    const a = await socket('127.0.0.2');
    const id = await registerGroup([a], RECEIVER);
    expect(node.nodeOf(id)).toBe(7);
    expect(node.hasGroup(id)).toBe(true);
    expect(node.isFreshId(id)).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['group-created', 'link-added']);

    // The route hook takes what a source that is no link sends: the engine never sees it.
    const other = await socket('127.0.0.9');
    other.send(encodeReg2(id), RECEIVER);
    await waitFor(() => taken.length === 1, 'the hook to take the REG2');
    expect(kinds(other)).toEqual([]);
    expect(receiver.stats().registration.reg2Received).toBe(1);

    // A datagram injected as if from 127.0.0.3 (another node forwarded it): the engine adds the
    // link; its REG3 leaves through sendToLink.
    const c = createEndpoint('127.0.0.3', 4444);
    divertTo.add(c.toString());
    node.inject(c, encodeReg2(id));
    node.flush();
    expect(node.hasLink(c)).toBe(true);
    expect(diverted).toEqual([{ to: c.toString(), kind: DatagramKind.SrtlaReg3 }]);
    // Injected data reaches the SRT listener like any other.
    node.inject(c, srtData(1));
    node.flush();
    a.send(srtData(2), RECEIVER);
    await waitFor(() => listener.received.length === 2, 'both packets at the SRT listener');
    // A reply sent from the listening socket for another node.
    node.sendFromListener(a.socket.local, encodeReg2(id));
    await waitFor(() => kinds(a).filter((k) => k === DatagramKind.SrtlaReg2).length === 2, 'REG2');
  });

  it('refuses bad cluster keys before it listens', async () => {
    await expect(
      createReceiver({
        port: 5000,
        upstream: { host: '127.0.0.1', port: SRT_PORT },
        io: network.backend,
        cluster: {
          cookieKeys: new Uint8Array(3),
          nodeIndex: 1,
          attach: () => ({ route: () => false }),
        },
      }),
    ).rejects.toThrow(/cookieKeys must be 32 bytes/);
  });
});
