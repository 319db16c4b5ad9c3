// Nodes of one cluster in one process on 127.0.0.x real UDP, an SRT listener stand-in that records
// what reaches it, and sender links (one UDP socket each) that register and send SRT data.
import { createSocket, type Socket } from 'node:dgram';
import { waitFor } from '@bond/io/testing';
import { createReceiver, selectIoBackend, type Receiver } from '@bond/runtime';
import {
  Address,
  DatagramKind,
  classifyDatagram,
  decodeReg2,
  encodeReg1,
  encodeReg2,
  peekSrtDataSeq,
} from '@bond/wire';
import { Backplane, ClusterNode, MemoryCluster, type MemoryCoordinator } from '../src/index.js';
import { srtData as testSrtData } from '@bond/wire/testing';

export interface TestNode {
  readonly index: number;
  readonly receiver: Receiver;
  readonly node: ClusterNode;
  readonly coordinator: MemoryCoordinator;
  /** `ip:port` of its listening socket. */
  readonly listen: Address;
  close(): Promise<void>;
}

export async function startNode(
  cluster: MemoryCluster,
  ip: string,
  srtPort: number,
  options: {
    index?: number;
    listener?: string;
    clock?: () => number;
    /** What the node sees of its coordinator (default: the coordinator itself). */
    view?: (
      coordinator: MemoryCoordinator,
    ) => ConstructorParameters<typeof ClusterNode>[0]['coordinator'];
    /** The node's own clock (route idleness, lookup throttling, the unknown-issuer grace). */
    nodeClock?: () => number;
  } = {},
): Promise<TestNode> {
  const { backend } = await selectIoBackend();
  const backplane = await Backplane.open({ io: backend, address: ip });
  const coordinator = cluster.join({
    backplane: backplane.local.toString(),
    ...(options.index === undefined ? {} : { index: options.index }),
    ...(options.listener === undefined ? {} : { listener: options.listener }),
  });
  const node = new ClusterNode({
    coordinator: options.view === undefined ? coordinator : options.view(coordinator),
    backplane,
    ...(options.nodeClock === undefined ? {} : { clock: options.nodeClock }),
  });
  let receiver: Receiver;
  try {
    receiver = await createReceiver({
      port: 0,
      address: ip,
      upstream: { host: '127.0.0.1', port: srtPort },
      reorder: { fixedMs: 40 },
      io: backend,
      cluster: node.receiverCluster(),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
  } catch (error) {
    await node.close();
    await coordinator.close();
    throw error;
  }
  let closed = false;
  return {
    index: coordinator.nodeIndex,
    receiver,
    node,
    coordinator,
    listen: receiver.local,
    async close() {
      if (closed) return;
      closed = true;
      await receiver.close();
      await node.close();
      await coordinator.close();
    },
  };
}

/** The SRT listener stand-in: records data seqs, per source port. */
export class SrtSide {
  readonly seqs: number[] = [];
  readonly sources = new Set<string>();
  private constructor(readonly socket: Socket) {
    socket.on('message', (message, rinfo) => {
      this.sources.add(`${rinfo.address}:${rinfo.port}`);
      if (classifyDatagram(message) === DatagramKind.SrtData)
        this.seqs.push(peekSrtDataSeq(message));
    });
  }

  static async open(): Promise<SrtSide> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new SrtSide(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  close(): Promise<void> {
    return new Promise((resolve) =>
      this.socket.close(() => {
        resolve();
      }),
    );
  }
}

/** One uplink of a sender: its own socket on 127.0.0.x. */
export class Link {
  /** What came back: kind and the address it came from. */
  readonly received: { kind: DatagramKind; from: string; bytes: Buffer }[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('message', (message, rinfo) => {
      this.received.push({
        kind: classifyDatagram(message),
        from: `${rinfo.address}:${rinfo.port}`,
        bytes: message,
      });
    });
  }

  static async open(ip: string): Promise<Link> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, ip, resolve));
    return new Link(socket);
  }

  get address(): string {
    const local = this.socket.address();
    return `${local.address}:${local.port}`;
  }

  send(bytes: Uint8Array, to: Address): void {
    this.socket.send(bytes, to.port, to.ip);
  }

  count(kind: DatagramKind, from?: Address): number {
    return this.received.filter(
      (r) => r.kind === kind && (from === undefined || r.from === from.toString()),
    ).length;
  }

  /** REG1 to `node`; the group id of the REG2 answer. */
  async reg1(node: Address): Promise<Uint8Array> {
    const before = this.count(DatagramKind.SrtlaReg2);
    this.send(encodeReg1(new Uint8Array(256).fill(0x42)), node);
    await waitFor(() => this.count(DatagramKind.SrtlaReg2) > before, 'REG2 answer to REG1');
    const answer = this.received.filter((r) => r.kind === DatagramKind.SrtlaReg2).at(-1);
    if (answer === undefined) throw new Error('no REG2');
    return decodeReg2(answer.bytes);
  }

  /** REG2 to `node` (repeated every 50 ms, as senders do) until REG3 comes from `node`. */
  async reg2(node: Address, id: Uint8Array, timeoutMs = 3000): Promise<void> {
    const before = this.count(DatagramKind.SrtlaReg3, node);
    const reg2 = encodeReg2(id);
    this.send(reg2, node);
    const timer = setInterval(() => {
      this.send(reg2, node);
    }, 50);
    try {
      await waitFor(
        () => this.count(DatagramKind.SrtlaReg3, node) > before,
        () =>
          `REG3 from ${node.toString()} at ${this.address}; got ${this.received
            .map((r) => `${r.kind}@${r.from}`)
            .join(', ')}`,
        timeoutMs,
      );
    } finally {
      clearInterval(timer);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) =>
      this.socket.close(() => {
        resolve();
      }),
    );
  }
}

/** An SRT data packet `seq` of a 188-byte payload (message seq + 1, timestamp seq ms, socket 7). */
export function srtData(seq: number): Uint8Array {
  return testSrtData(seq, {
    messageNumber: seq + 1,
    timestamp: seq * 1000,
    destinationSocketId: 7,
  });
}

/** Sends seqs `first..first+count-1` round-robin over `links`, each to its node, paced. */
export async function stream(
  links: readonly { link: Link; to: Address }[],
  first: number,
  count: number,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const path = links[i % links.length];
    if (path === undefined) throw new Error('no links');
    const { link, to } = path;
    link.send(srtData(first + i), to);
    if (i % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

export function range(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => first + i);
}

/** `value`, or a thrown error naming what was missing. */
export function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`missing: ${what}`);
  return value;
}
