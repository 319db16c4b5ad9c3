#!/usr/bin/env node
// The CPU cost of a forwarded packet against a locally owned one in a bond-receiver cluster
// (issue 14). One process holds two cluster nodes (receivers with ClusterNode, native IO, sharing a
// listener as `--workers` do, so replies leave from the owner), an SRT-side sink and two link
// sockets of one group: link A sends to the owner (node 1), link B to node 2, which forwards each
// datagram over the backplane to node 1. The phases alternate, each sending `--count` SRT data
// packets in bursts of 16; the process's CPU (user+system) per packet delivered to the sink is the
// figure. The load generator and sink are in both phases alike, so the difference is what
// forwarding adds (the ingress node's receive, the HMAC tag, the backplane send and receive, the
// tag check and the injection at the owner). Not run in CI; run by hand after `pnpm build`:
//
//   node tooling/bench/cluster-forward-cost.mjs [--count 50000] [--rounds 5]
import { createSocket } from 'node:dgram';
import { Backplane, ClusterNode, MemoryCluster } from '../../packages/cluster/dist/index.js';
import { createReceiver, selectIoBackend } from '../../packages/runtime/dist/index.js';
import {
  DatagramKind,
  classifyDatagram,
  decodeReg2,
  encodeReg1,
  encodeReg2,
} from '../../packages/wire/dist/index.js';
import { srtData } from '../../packages/wire/dist/testing.js';
import { median } from './lib/results.mjs';
import { benchArgs } from './lib/command-line.mjs';

const { values } = benchArgs(import.meta.url, {
  options: {
    count: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '5' },
  },
});
const count = Number(values.count);
const rounds = Number(values.rounds);
if (!(Number.isInteger(count) && count >= 1000 && count <= 1e6 && rounds >= 1 && rounds <= 15)) {
  console.error('--count 1000..1000000, --rounds 1..15');
  process.exit(2);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check, what, ms = 10_000) {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

const closers = [];
try {
  let delivered = 0;
  const sink = createSocket('udp4');
  sink.on('message', (message) => {
    if (classifyDatagram(message) === DatagramKind.SrtData) delivered++;
  });
  await new Promise((resolve) => sink.bind(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => sink.close(resolve)));

  const { backend } = await selectIoBackend();
  const cluster = new MemoryCluster();
  const nodes = [];
  for (const ip of ['127.0.0.1', '127.0.0.2']) {
    const backplane = await Backplane.open({ io: backend, address: ip });
    const coordinator = cluster.join({ backplane: backplane.local.toString(), listener: 'shared' });
    const node = new ClusterNode({ coordinator, backplane });
    const receiver = await createReceiver({
      port: 0,
      address: ip,
      upstream: { host: '127.0.0.1', port: sink.address().port },
      reorder: 'off',
      io: backend,
      cluster: node.receiverCluster(),
    });
    closers.push(async () => {
      await receiver.close();
      await node.close();
      await coordinator.close();
    });
    nodes.push({ receiver, node });
  }

  const link = async (ip) => {
    const socket = createSocket('udp4');
    const replies = [];
    socket.on('message', (message) => replies.push(message));
    await new Promise((resolve) => socket.bind(0, ip, resolve));
    closers.push(() => new Promise((resolve) => socket.close(resolve)));
    return { socket, replies };
  };
  const a = await link('127.0.0.21');
  const b = await link('127.0.0.22');
  const [owner, ingress] = nodes.map(({ receiver }) => receiver.local);
  a.socket.send(encodeReg1(new Uint8Array(256).fill(1)), owner.port, owner.ip);
  await until(() => a.replies.some((r) => classifyDatagram(r) === DatagramKind.SrtlaReg2), 'REG2');
  const id = decodeReg2(a.replies.find((r) => classifyDatagram(r) === DatagramKind.SrtlaReg2));
  a.socket.send(encodeReg2(id), owner.port, owner.ip);
  b.socket.send(encodeReg2(id), ingress.port, ingress.ip);
  await until(
    () =>
      [a, b].every((l) => l.replies.some((r) => classifyDatagram(r) === DatagramKind.SrtlaReg3)),
    'REG3 on both links',
  );

  let seq = 0;
  const packet = () => srtData(seq++ & 0x7fffffff, { payloadBytes: 1316 });
  /** Sends `count` packets over `via`; process CPU us per delivered packet. */
  const phase = async (via, to) => {
    const start = delivered;
    const cpu = process.cpuUsage();
    for (let sent = 0; sent < count;) {
      for (let burst = 0; burst < 16 && sent < count; burst++, sent++) {
        via.socket.send(packet(), to.port, to.ip);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => delivered - start >= count * 0.99, 'delivery', 30_000);
    await sleep(50);
    const used = process.cpuUsage(cpu);
    const got = delivered - start;
    return { us: (used.user + used.system) / got, loss: (100 * (count - got)) / count };
  };

  await phase(a, owner); // warm-up: both paths compiled before measuring
  await phase(b, ingress);
  const local = [];
  const forwarded = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['local', 'forwarded'] : ['forwarded', 'local'];
    for (const kind of order) {
      if (kind === 'local') local.push(await phase(a, owner));
      else forwarded.push(await phase(b, ingress));
    }
  }
  const l = median(local.map((s) => s.us));
  const f = median(forwarded.map((s) => s.us));
  const stats = nodes[1].node.stats();
  console.log(
    `cluster forwarding cost: ${count} SRT data packets (1332 bytes) per phase, ${rounds} rounds (medians), IO backend ${backend.name}`,
  );
  console.log(`process CPU per packet, locally owned link: ${l.toFixed(2)} us`);
  console.log(`process CPU per packet, forwarded link:     ${f.toFixed(2)} us`);
  console.log(`forwarding adds ${(f - l).toFixed(2)} us per packet (ratio ${(f / l).toFixed(2)})`);
  console.log(
    `loss (median): local ${median(local.map((s) => s.loss)).toFixed(3)}%, forwarded ${median(forwarded.map((s) => s.loss)).toFixed(3)}%; ingress forwarded ${stats.forwarded} datagrams`,
  );
} finally {
  for (const close of closers.reverse()) await close();
}
