// Sender links that speak SRTLA registration by hand over loopback UDP (node:dgram), for tests
// that need one link more than a limit allows. Every socket they open closes in `close()`.
import { createSocket, type Socket } from 'node:dgram';
import { DatagramKind, classifyDatagram, decodeReg2, encodeReg1, encodeReg2 } from '@bond/wire';
import { waitFor } from '../../common/test/support/testing.js';

/** One sender link: a UDP socket on 127.0.0.x that keeps what the receiver answers. */
export interface SrtlaLink {
  readonly received: Uint8Array[];
  send(bytes: Uint8Array): void;
  close(): Promise<void>;
}

/** Opens a link bound to `address` (127.0.0.0/8) that talks to the receiver at 127.0.0.1:`port`. */
export async function openLink(address: string, receiverPort: number): Promise<SrtlaLink> {
  const socket: Socket = createSocket('udp4');
  const received: Uint8Array[] = [];
  socket.on('message', (message) => received.push(new Uint8Array(message)));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  let closed = false;
  return {
    received,
    send(bytes) {
      socket.send(bytes, receiverPort, '127.0.0.1');
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve) => {
        socket.close(() => {
          resolve();
        });
      });
    },
  };
}

/** The first registration reply (REG2, REG3, REG_ERR or REG_NGP) `link` got after `from`. */
async function reply(link: SrtlaLink, from: number, what: string): Promise<DatagramKind> {
  const replies: readonly DatagramKind[] = [
    DatagramKind.SrtlaReg2,
    DatagramKind.SrtlaReg3,
    DatagramKind.SrtlaRegErr,
    DatagramKind.SrtlaRegNgp,
  ];
  let kind: DatagramKind | undefined;
  await waitFor(
    () => {
      kind = link.received
        .slice(from)
        .map((bytes) => classifyDatagram(bytes))
        .find((each) => replies.includes(each));
      return kind !== undefined;
    },
    what,
    5000,
  );
  if (kind === undefined) throw new Error(`no reply: ${what}`);
  return kind;
}

/**
 * REG1 on `first`: returns the group id from the receiver's REG2. The receiver keeps no state for
 * a REG1: the group exists once a REG2 brings the id back ({@link joinGroup}).
 */
export async function createGroup(first: SrtlaLink, seed = 1): Promise<Uint8Array> {
  const from = first.received.length;
  first.send(encodeReg1(new Uint8Array(256).fill(seed)));
  const kind = await reply(first, from, 'a reply to REG1');
  if (kind !== DatagramKind.SrtlaReg2) throw new Error(`REG1 answered with kind ${kind}`);
  const reg2 = first.received.slice(from).find((bytes) => classifyDatagram(bytes) === kind);
  if (reg2 === undefined) throw new Error('no REG2');
  return decodeReg2(reg2);
}

/** REG2 on `link` for `groupId`: resolves with the answer, REG3 (joined) or REG_ERR (refused). */
export async function joinGroup(link: SrtlaLink, groupId: Uint8Array): Promise<'reg3' | 'reg-err'> {
  const from = link.received.length;
  link.send(encodeReg2(groupId));
  const kind = await reply(link, from, 'a reply to REG2');
  if (kind === DatagramKind.SrtlaReg3) return 'reg3';
  if (kind === DatagramKind.SrtlaRegErr) return 'reg-err';
  throw new Error(`REG2 answered with kind ${kind}`);
}
