// Child process for the send-fault tests of both addons (see send-faults.ts): opens a raw binding
// handle on 127.0.0.1, queues the datagrams described in argv[2] (JSON) to 127.0.0.1:<port> in
// one send table, sends them with one send() call, and prints what happened as JSON. Run with
// LD_PRELOAD set to the send-fault library to stand in for kernel conditions.
//
// argv[2]: { addonPath, port, lengths, counterCount, metaStride, connect, plain }
//   Datagram i is `lengths[i]` bytes, every byte equal to i % 256. `connect`: connect to the port
//   and send rows of family 0 (the connected peer). `plain`: call usePlain(handle) first.
// stdout: { returned, gsoBefore, gsoAfter, batched, counters }
//   gsoBefore / gsoAfter: binding.gso(handle) around send() (null without gso); batched:
//   binding.batched(handle) (null without it).
import { createRequire } from 'node:module';

const input = JSON.parse(process.argv[2]);
const { addonPath, port, lengths, counterCount, metaStride } = input;
const binding = createRequire(addonPath)(addonPath);
const total = lengths.reduce((sum, length) => sum + length, 0);
const sendSlab = new Uint8Array(total);
const sendMeta = new Uint32Array(lengths.length * metaStride);
const counters = new Float64Array(counterCount);
const handle = binding.open(
  4,
  '127.0.0.1',
  0,
  false,
  0,
  0,
  new Uint8Array(2048),
  new Uint32Array(metaStride),
  1,
  2048,
  sendSlab,
  sendMeta,
  counters,
  () => undefined,
);
if (input.plain === true) binding.usePlain(handle);
if (input.connect === true) binding.connect(handle, '127.0.0.1', port);
let offset = 0;
lengths.forEach((length, i) => {
  sendSlab.fill(i % 256, offset, offset + length);
  // The row layout of @bond/io receive-batch.ts: offset, length, family, port, address words.
  const row =
    input.connect === true
      ? [offset, length, 0, 0, 0, 0, 0, 0]
      : [offset, length, 4, port, 0x7f000001, 0, 0, 0];
  sendMeta.set(row, i * metaStride);
  offset += length;
});
const gso = () => (typeof binding.gso === 'function' ? binding.gso(handle) : null);
const gsoBefore = gso();
const returned = binding.send(handle, lengths.length);
const gsoAfter = gso();
const batched = typeof binding.batched === 'function' ? binding.batched(handle) : null;
binding.close(handle);
process.stdout.write(
  JSON.stringify({ returned, gsoBefore, gsoAfter, batched, counters: [...counters] }),
);
