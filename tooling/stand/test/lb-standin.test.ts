// The load-balancer stand-in in front of three echo nodes on loopback: sources spread over the
// nodes and stay there, replies come back from the public address, the nodes see proxy sockets,
// a node marked down (or refusing) moves only its own sources, and the tables stay bounded.
import type { Socket } from 'node:dgram';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@bond/io/testing';
import { LbStandin, endpointKey, type LbEndpoint, type LbEvent } from '../src/index.js';
import { main } from '../src/lb-standin-cli.js';
import { closeQuietly, openLoopback } from '../src/udp.js';

interface EchoNode {
  readonly name: string;
  readonly socket: Socket;
  readonly endpoint: LbEndpoint;
  /** Every source address the node saw, `addr:port`. */
  readonly seen: Set<string>;
}

interface Reply {
  readonly text: string;
  readonly from: string;
}

const sockets: Socket[] = [];
const balancers: LbStandin[] = [];

afterEach(async () => {
  for (const balancer of balancers.splice(0)) await balancer.close();
  for (const socket of sockets.splice(0)) await closeQuietly(socket);
});

async function echoNode(name: string): Promise<EchoNode> {
  const socket = await openLoopback(0);
  sockets.push(socket);
  const seen = new Set<string>();
  socket.on('message', (message, from) => {
    seen.add(`${from.address}:${from.port}`);
    socket.send(`${name}:${message.toString()}`, from.port, from.address);
  });
  return { name, socket, endpoint: { address: '127.0.0.1', port: socket.address().port }, seen };
}

interface Source {
  readonly socket: Socket;
  readonly key: string;
  readonly port: number;
  readonly replies: Reply[];
}

async function source(): Promise<Source> {
  const socket = await openLoopback(0);
  sockets.push(socket);
  const replies: Reply[] = [];
  socket.on('message', (message, from) =>
    replies.push({ text: message.toString(), from: `${from.address}:${from.port}` }),
  );
  const port = socket.address().port;
  return { socket, port, key: `127.0.0.1:${port}`, replies };
}

/** Sends `text` from `src` to the balancer until a reply to it arrives; the replying node's name. */
async function ask(src: Source, to: LbEndpoint, text: string): Promise<string> {
  let answer: Reply | undefined;
  await waitFor(
    () => {
      answer = src.replies.find((r) => r.text.endsWith(`:${text}`));
      if (answer) return true;
      src.socket.send(text, to.port, to.address);
      return false;
    },
    `a reply to ${text} from ${src.key}`,
    5000,
  );
  expect(answer?.from).toBe(endpointKey(to)); // from the public address, not the node
  return answer?.text.split(':')[0] ?? '';
}

async function setUp(options: { idleTimeoutMs?: number; maxSources?: number } = {}) {
  const nodes = await Promise.all(['n0', 'n1', 'n2'].map((name) => echoNode(name)));
  const events: LbEvent[] = [];
  const balancer = await LbStandin.open({
    nodes: nodes.map((n) => n.endpoint),
    onEvent: (event) => events.push(event),
    ...options,
  });
  balancers.push(balancer);
  return { nodes, balancer, events, address: balancer.address };
}

describe('LbStandin', () => {
  it('spreads sources over the nodes, keeps each on its node, replies from the public address', async () => {
    const { nodes, balancer, address } = await setUp();
    const sources = await Promise.all(Array.from({ length: 24 }, () => source()));
    const first = new Map<string, string>();
    for (const [i, src] of sources.entries()) first.set(src.key, await ask(src, address, `a${i}`));
    expect(new Set(first.values()).size).toBeGreaterThanOrEqual(2);
    for (const [i, src] of sources.entries()) {
      expect(await ask(src, address, `b${i}`)).toBe(first.get(src.key)); // stable
      const node = nodes.find((n) => n.name === first.get(src.key));
      expect(balancer.nodeOf({ address: '127.0.0.1', port: src.port })).toBe(
        node && endpointKey(node.endpoint),
      );
    }
    // Full NAT: the nodes saw proxy sockets, never a sender's own address.
    const seen = nodes.flatMap((n) => [...n.seen]);
    expect(seen).toHaveLength(24);
    for (const src of sources) expect(seen).not.toContain(src.key);
    const counters = balancer.counters();
    expect(counters.sourcesPlaced).toBe(24);
    expect(counters.replied).toBeGreaterThanOrEqual(48);
    expect(counters.nodes.reduce((sum, n) => sum + n.sources, 0)).toBe(24);
    for (const [i, n] of counters.nodes.entries()) {
      const name = nodes[i]?.name;
      expect(n.sources).toBe([...first.values()].filter((v) => v === name).length);
    }
  });

  it('a node marked down moves only its own sources, onto live nodes', async () => {
    const { nodes, balancer, events, address } = await setUp();
    const sources = await Promise.all(Array.from({ length: 18 }, () => source()));
    const before = new Map<string, string>();
    for (const [i, src] of sources.entries()) before.set(src.key, await ask(src, address, `a${i}`));
    // The busiest node goes down, so that some sources must move.
    const counts = nodes.map((n) => [...before.values()].filter((v) => v === n.name).length);
    const down = counts.indexOf(Math.max(...counts));
    const downName = nodes[down]?.name ?? '';
    const moved = balancer.markDown(down);
    expect(moved).toBe(counts[down]);
    expect(events).toContainEqual({
      type: 'node-down',
      node: endpointKey(nodes[down]?.endpoint ?? address),
      reason: 'marked',
      moved,
    });
    for (const [i, src] of sources.entries()) {
      const now = await ask(src, address, `c${i}`);
      if (before.get(src.key) === downName) expect(now).not.toBe(downName);
      else expect(now).toBe(before.get(src.key));
    }
    expect(balancer.counters().sourcesMoved).toBe(moved);
    expect(balancer.counters().nodes[down]?.sources).toBe(0);
    // Back up: placed sources stay where they are (connection tracking).
    balancer.markUp(down);
    for (const [i, src] of sources.entries()) {
      expect(await ask(src, address, `d${i}`)).not.toBe(downName);
    }
  });

  it('takes out a node whose port refuses (ICMP port unreachable) and moves its sources', async () => {
    const { nodes, balancer, events, address } = await setUp();
    const sources = await Promise.all(Array.from({ length: 12 }, () => source()));
    const before = new Map<string, string>();
    for (const [i, src] of sources.entries()) before.set(src.key, await ask(src, address, `a${i}`));
    const victim = nodes.findIndex((n) => [...before.values()].includes(n.name));
    const victimNode = nodes[victim];
    if (!victimNode) throw new Error('no node got a source');
    await closeQuietly(victimNode.socket); // the node process is gone: its port refuses
    for (const [i, src] of sources.entries()) {
      const now = await ask(src, address, `r${i}`); // resent until a live node answers
      expect(now).not.toBe(victimNode.name);
      if (before.get(src.key) !== victimNode.name) expect(now).toBe(before.get(src.key));
    }
    expect(events.filter((e) => e.type === 'node-down')).toEqual([
      expect.objectContaining({ node: endpointKey(victimNode.endpoint), reason: 'refused' }),
    ]);
    expect(balancer.counters().nodes[victim]?.up).toBe(false);
  });

  it('with silentAfterMs, takes out a node that takes datagrams but never answers', async () => {
    const mute = await openLoopback(0); // receives, never replies
    sockets.push(mute);
    const talker = await echoNode('n1');
    const events: LbEvent[] = [];
    const balancer = await LbStandin.open({
      nodes: [{ address: '127.0.0.1', port: mute.address().port }, talker.endpoint],
      silentAfterMs: 300,
      onEvent: (event) => events.push(event),
    });
    balancers.push(balancer);
    const muteKey = `127.0.0.1:${mute.address().port}`;
    // A source that hashes onto the mute node (half of them do; at most 64 tries).
    let onMute: Source | undefined;
    for (let i = 0; i < 64 && !onMute; i++) {
      const candidate = await source();
      if (balancer.pick({ address: '127.0.0.1', port: candidate.port }) === muteKey) {
        onMute = candidate;
      }
    }
    if (!onMute) throw new Error('no source hashed onto the mute node in 64 tries');
    // Resent until answered: the mute node is taken out and the source moves to the talker.
    expect(await ask(onMute, balancer.address, 'hello')).toBe('n1');
    expect(events).toEqual([
      expect.objectContaining({ type: 'node-down', node: muteKey, reason: 'silent', moved: 1 }),
    ]);
    expect(balancer.counters().nodes[0]?.datagramsToNode).toBeGreaterThan(0);
  });

  it('forgets idle sources and bounds its source table', async () => {
    const { balancer, address } = await setUp({ idleTimeoutMs: 200, maxSources: 2 });
    const a = await source();
    const b = await source();
    const c = await source();
    await ask(a, address, 'a');
    await ask(b, address, 'b');
    c.socket.send('c', address.port, address.address);
    await waitFor(() => balancer.counters().droppedTableFull >= 1, 'a full-table drop', 5000);
    expect(c.replies).toEqual([]);
    await waitFor(() => balancer.placements().size === 0, 'idle sources to expire', 5000);
    expect(balancer.counters().sourcesExpired).toBe(2);
    expect(balancer.counters().nodes.every((n) => n.sources === 0)).toBe(true);
    expect(await ask(c, address, 'c2')).toMatch(/^n\d$/); // room again
  });

  it('drops what no live node can take, and counts it', async () => {
    const { balancer, address } = await setUp();
    for (const index of [0, 1, 2]) balancer.markDown(index);
    const src = await source();
    src.socket.send('x', address.port, address.address);
    await waitFor(() => balancer.counters().droppedNoNode === 1, 'the no-node drop', 5000);
    expect(balancer.placements().size).toBe(0);
  });

  it('refuses bad options', async () => {
    await expect(LbStandin.open({ nodes: [] })).rejects.toThrow(/at least one node/);
    await expect(LbStandin.open({ nodes: [{ address: 'node-a', port: 1 }] })).rejects.toThrow(
      /not an IP/,
    );
    await expect(
      LbStandin.open({
        nodes: [
          { address: '127.0.0.1', port: 5000 },
          { address: '127.0.0.1', port: 5000 },
        ],
      }),
    ).rejects.toThrow(/listed twice/);
  });
});

describe('lb-standin command', () => {
  it('prints help, refuses bad usage, and runs until stdin ends, taking commands', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const quietIo = {
      stdout: (line: string) => out.push(line),
      stderr: (line: string) => err.push(line),
      onStopSignal: () => () => undefined,
    };
    expect(await main(['--help'], quietIo)).toBe(0);
    expect(out.join('\n')).toMatch(/Usage: lb-standin --listen ADDR:PORT --node ADDR:PORT/);
    expect(await main(['--listen', '127.0.0.1:0'], quietIo)).toBe(2);
    expect(err.join('\n')).toMatch(/give at least one --node/);
    expect(await main(['--node', 'nodeA:5000'], quietIo)).toBe(2);

    const node = await echoNode('n0');
    const stdin = new PassThrough();
    out.length = 0;
    const running = main(
      ['--listen', '127.0.0.1:0', '--node', `127.0.0.1:${node.endpoint.port}`, '--interval', '0'],
      { ...quietIo, stdin },
    );
    await waitFor(() => out.some((l) => l.includes('listening on')), 'the listening line', 5000);
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out.join('\n'))?.[1]);
    const src = await source();
    expect(await ask(src, { address: '127.0.0.1', port }, 'hi')).toBe('n0');
    stdin.write('down 0\n');
    await waitFor(() => out.some((l) => l.includes('down (marked)')), 'the down line', 5000);
    stdin.end();
    expect(await running).toBe(0);
    expect(out.join('\n')).toMatch(/lb-standin final: received \d+ replied [1-9]/);
    expect(out.join('\n')).toMatch(/node 0 127\.0\.0\.1:\d+ DOWN/);
  });
});
