// The measuring side of tooling/bench/metrics-alloc.mjs, which bundles it with the receiver's
// sources and runs it: a synthetic runtime snapshot shaped as scale-bench's receiver (group g has
// 2 + g % 3 links), then what the stats view, the /metrics text and its UTF-8 body allocate,
// each alone (and JSON.stringify of the view, /api/v1/stats, for comparison).
// argv: GROUPS ROUNDS; env ALLOC_PROFILE=1: who allocates (V8's sampling heap profiler);
// ALLOC_TEXT=FILE: write bond's series of the last scrape (to compare two builds byte for byte).
import { createReceiverMetrics } from '../../../apps/receiver/src/metrics.ts';
import { statsView } from '../../../apps/receiver/src/stats-view.ts';

/** @param {number} groups */
function snapshot(groups) {
  const list = [];
  for (let g = 0; g < groups; g++) {
    const links = [];
    for (let l = 0; l < 2 + (g % 3); l++) {
      links.push({
        address: `127.0.0.${2 + l}:${20000 + g}`,
        name: undefined,
        ageMs: 12345 + g,
        lastActivityAgoMs: 321,
        packetsReceived: 1000 + g * 7 + l,
        bytesReceived: 1332000 + g * 13 + l,
        dataPackets: 900 + g,
        deliveryRateBytesPerSec: 1332.5 + l,
        srtlaAcksSent: 90 + l,
        keepalives: 30 + g,
        queueingDelayUs: 1234 + l,
        delayOffsetUs: l === 0 ? 0 : 1500 * l,
        gaps: l,
        duplicates: 0,
        reordered: g % 5,
        maxReorderDistance: 0,
        retransmitted: 0,
        senderInfo: undefined,
        senderTelemetry: undefined,
        score: 870 + l,
        level: 'good',
        reason: 'steady',
        weightPermille: 333,
        acksThrottled: 0,
      });
    }
    list.push({
      id: g + 1,
      tag: (0x1000_0000 + g).toString(16),
      state: 'active',
      newNetworkJoins: 0,
      stream: `live/stream-${g}`,
      ageMs: 60000 + g,
      lastActivityAgoMs: 12,
      lastAddress: links[0].address,
      packetsForwarded: 5000 + g,
      bytesForwarded: 6_660_000 + g,
      packetsFromUpstream: 200 + g,
      packetsToSenders: 300 + g,
      forwardRateBytesPerSec: 2664.25,
      lastDataAgoMs: 400,
      senderShutdownAgoMs: undefined,
      listenerFeedback: { lostPackets: 0, droppedPackets: 0, fullAcks: 10, naks: 0, malformed: 0 },
      srtAccepted: true,
      srtRejection: undefined,
      forwardPath: {
        holdMs: 40,
        held: 0,
        released: 5000 + g,
        reordered: 3,
        skipped: 0,
        duplicates: 0,
        late: 0,
        jumps: 0,
        overflows: 0,
      },
      upstream: { packetsSent: 5000 + g, packetsReceived: 200 + g },
      links,
    });
  }
  return {
    uptimeMs: 100000,
    listen: '[::]:5000',
    backend: 'native',
    upstream: '127.0.0.1:4001',
    reorder: 'auto',
    streamLabel: 'redacted',
    limits: {
      maxGroups: 1000,
      maxLinksPerGroup: 16,
      linkTimeoutMs: 4000,
      groupTimeoutMs: 10000,
      pendingGroupTimeoutMs: 10000,
      maxPendingGroupsPerIp: 16,
    },
    groups: list,
    registration: {
      reg1Received: 1,
      reg2Received: 2,
      regErrSent: 0,
      regNgpSent: 0,
      groupsCreated: groups,
      groupsEvicted: 0,
      groupsRemoved: 0,
      reg2Expired: 0,
      reg2Unverified: 0,
      newNetworkJoins: 0,
    },
    dropped: { droppedNoLink: 0, malformed: 0 },
    srtRejections: [],
    totals: {
      datagramsReceived: 1,
      bytesReceived: 2,
      forwardedToListener: 3,
      forwardedBytesToListener: 4,
      fromListener: 5,
      sentToSenders: 6,
    },
  };
}

const groups = Number(process.argv[2] ?? 1000);
const rounds = Number(process.argv[3] ?? 5);
const probe = { answered: true };
const metrics = createReceiverMetrics('0.0.0');
const snap = snapshot(groups);
// The V8 heap and the memory of ArrayBuffers outside it (Buffers: the text written as bytes).
const used = () => {
  const memory = process.memoryUsage();
  return memory.heapUsed + memory.arrayBuffers;
};
const gc = globalThis.gc;
/** @type {Record<string, number[]>} */
const rows = {
  view: [],
  'metrics text (render)': [],
  'its bytes (Buffer.from)': [],
  'metrics bytes (renderBody)': [],
  'json (for comparison)': [],
};
let text = '';
let jsonBytes = 0;
for (let round = 0; round < rounds + 1; round++) {
  gc();
  const before = used();
  const view = statsView(snap, probe);
  const afterView = used();
  text = await metrics.render(view);
  const afterText = used();
  Buffer.from(text); // what the server sent before renderBody: the text as UTF-8 bytes
  const afterBody = used();
  // What /metrics sends: the bytes straight from renderBody where the build has it (its buffer
  // is outside the V8 heap: counted whole, with what it holds beyond the text).
  const direct = metrics.renderBody === undefined ? undefined : await metrics.renderBody(view);
  const afterDirect = used();
  jsonBytes = JSON.stringify(view, null, 2).length;
  const afterJson = used();
  if (round === 0) continue; // warm-up
  rows['view'].push(afterView - before);
  rows['metrics text (render)'].push(afterText - afterView);
  rows['its bytes (Buffer.from)'].push(afterBody - afterText);
  if (direct !== undefined) rows['metrics bytes (renderBody)'].push(afterDirect - afterBody);
  rows['json (for comparison)'].push(afterJson - afterDirect);
}
if (process.env['ALLOC_PROFILE'] !== undefined) {
  // Who allocates one scrape's bytes: V8's sampling heap profiler, collected objects included.
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  for (let round = 0; round < rounds; round++) {
    const view = statsView(snap, probe);
    if (metrics.renderBody === undefined) Buffer.from(await metrics.render(view));
    else await metrics.renderBody(view);
  }
  const { profile } = await session.post('HeapProfiler.stopSampling');
  const bySelf = new Map();
  const walk = (node) => {
    const frame = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.split('/').pop()}:${node.callFrame.lineNumber}`;
    bySelf.set(frame, (bySelf.get(frame) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  console.log(`allocated per scrape by function (sampled, ${rounds} scrapes):`);
  for (const [frame, bytes] of [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(`  ${(bytes / rounds / 1024 / 1024).toFixed(2).padStart(6)} MiB  ${frame}`);
}
if (process.env['ALLOC_TEXT'] !== undefined) {
  // bond's series of the last scrape (the process metrics before them vary from run to run), to
  // compare two builds' output byte for byte.
  const { writeFileSync } = await import('node:fs');
  writeFileSync(process.env['ALLOC_TEXT'], text.slice(text.indexOf('# HELP bond_receiver_')));
}
/** @param {number[]} values */
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(
  `${groups} groups, ${snap.groups.reduce((n, g) => n + g.links.length, 0)} links; /metrics ${text.length} bytes, /api/v1/stats ${jsonBytes}; median of ${rounds} rounds, bytes allocated (V8 heap, no GC inside):`,
);
for (const [name, values] of Object.entries(rows).filter(([, values]) => values.length > 0))
  console.log(`  ${name.padEnd(28)} ${(median(values) / 1024 / 1024).toFixed(2)} MiB`);
