// The send paths loopback cannot reach by itself: a full kernel send queue (EAGAIN) and a path
// that cannot segment (EINVAL on a UDP GSO message). Each runs the addon in a child process whose
// sendmmsg is wrapped by fixtures/sendmmsg-fault.c (LD_PRELOAD); the datagrams go to a receiver
// here, on 127.0.0.1.
import { execFile, execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Counter, COUNTER_COUNT, META_STRIDE } from '@bond/io';
import { waitFor } from '@bond/io/testing';
import { defaultAddonPath } from '@bond/io-linux';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const built = process.platform === 'linux' && existsSync(defaultAddonPath());
const fixtures = join(import.meta.dirname, 'fixtures');
const run = promisify(execFile);

interface Burst {
  returned: number;
  gsoBefore: boolean;
  gsoAfter: boolean;
  counters: number[];
}

const title = 'linux-mmsg send faults (sendmmsg wrapped in a child process)';
describe.skipIf(!built)(built ? title : `${title} (skipped: addon not built)`, () => {
  let dir = '';
  let preload = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bond-send-faults-'));
    preload = join(dir, 'sendmmsg-fault.so');
    execFileSync(process.env.CC ?? 'cc', [
      '-shared',
      '-fPIC',
      '-O1',
      '-o',
      preload,
      join(fixtures, 'sendmmsg-fault.c'),
      '-ldl',
    ]);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const receivers: Socket[] = [];
  afterEach(() => {
    for (const receiver of receivers.splice(0)) receiver.close();
  });

  /** A receiver on 127.0.0.1 and the first byte of each datagram it gets, in order. */
  async function listen(): Promise<{ port: number; firstBytes: number[] }> {
    const receiver = createSocket({ type: 'udp4', recvBufferSize: 1 << 22 });
    receivers.push(receiver);
    const firstBytes: number[] = [];
    receiver.on('message', (message) => firstBytes.push(message[0] ?? -1));
    await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
    return { port: receiver.address().port, firstBytes };
  }

  /** Sends `lengths` (datagram i filled with i) in one send() in the child, with `fault` set. */
  async function burst(fault: string, port: number, lengths: number[]): Promise<Burst> {
    const input = {
      addonPath: defaultAddonPath(),
      port,
      lengths,
      counterCount: COUNTER_COUNT,
      metaStride: META_STRIDE,
    };
    const { stdout } = await run(
      process.execPath,
      [join(fixtures, 'send-burst.mjs'), JSON.stringify(input)],
      { env: { ...process.env, LD_PRELOAD: preload, BOND_TEST_SENDMMSG: fault }, timeout: 10000 },
    );
    return JSON.parse(stdout) as Burst;
  }

  /** Waits for `count` datagrams, then a little longer to see that no more come. */
  async function settle(firstBytes: number[], count: number): Promise<void> {
    await waitFor(
      () => firstBytes.length >= count,
      `${count} datagrams (got ${firstBytes.length})`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  it('a full send queue drops the rest of a GSO batch and counts every dropped datagram', async () => {
    const { port, firstBytes } = await listen();
    // 100 x 1332 bytes: three GSO messages of 48, 48 and 4 datagrams (48 x 1332 is the most under
    // the 65000-byte GSO limit); the queue takes the first message only.
    const result = await burst('queue-full:1', port, Array<number>(100).fill(1332));
    expect(result.returned).toBe(48);
    expect(result.counters[Counter.datagramsSent]).toBe(48);
    expect(result.counters[Counter.gsoDatagrams]).toBe(48);
    expect(result.counters[Counter.sendDropped]).toBe(52);
    expect(result.counters[Counter.sendErrors]).toBe(0);
    expect(result.counters[Counter.sendCalls]).toBe(2);
    await settle(firstBytes, 48);
    expect(firstBytes).toEqual(Array.from({ length: 48 }, (_, i) => i));
  });

  it('a full send queue drops the rest of a batch of single datagrams and counts them', async () => {
    const { port, firstBytes } = await listen();
    // Mixed sizes: no GSO runs, one message per datagram; the queue takes 5.
    const lengths = Array.from({ length: 20 }, (_, i) => 100 + (i % 7));
    const result = await burst('queue-full:5', port, lengths);
    expect(result.returned).toBe(5);
    expect(result.counters[Counter.datagramsSent]).toBe(5);
    expect(result.counters[Counter.sendDropped]).toBe(15);
    expect(result.counters[Counter.sendErrors]).toBe(0);
    expect(result.counters[Counter.sendCalls]).toBe(2);
    await settle(firstBytes, 5);
    expect(firstBytes).toEqual([0, 1, 2, 3, 4]);
  });

  it('a path that cannot segment turns GSO off and resends the whole run plainly, losing nothing', async () => {
    const { port, firstBytes } = await listen();
    const result = await burst('no-segmentation', port, Array<number>(100).fill(1332));
    expect(result.gsoBefore).toBe(true);
    expect(result.gsoAfter).toBe(false);
    expect(result.returned).toBe(100);
    expect(result.counters[Counter.datagramsSent]).toBe(100);
    expect(result.counters[Counter.bytesSent]).toBe(133200);
    expect(result.counters[Counter.gsoDatagrams]).toBe(0);
    expect(result.counters[Counter.sendErrors]).toBe(0);
    expect(result.counters[Counter.sendDropped]).toBe(0);
    // The refused GSO call, then one sendmmsg of 100 plain messages.
    expect(result.counters[Counter.sendCalls]).toBe(2);
    await settle(firstBytes, 100);
    expect(firstBytes).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('without a fault the same run goes as GSO in one call (the wrapper passes through)', async () => {
    const { port, firstBytes } = await listen();
    const result = await burst('', port, Array<number>(100).fill(1332));
    expect(result.gsoAfter).toBe(true);
    expect(result.counters[Counter.gsoDatagrams]).toBe(100);
    expect(result.counters[Counter.sendCalls]).toBe(1);
    await settle(firstBytes, 100);
    expect(firstBytes).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
