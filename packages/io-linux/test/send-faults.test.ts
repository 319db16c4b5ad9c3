// The send paths loopback cannot reach by itself: a full kernel send queue (EAGAIN) and a path
// that cannot segment (EINVAL on a UDP GSO message), through the shared send-fault harness (the
// addon in a child process with sendmmsg wrapped; the receiver here, on 127.0.0.1).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, COUNTER_COUNT, META_STRIDE } from '@bond/io';
import { waitFor } from '@bond/io/testing';
import { defaultAddonPath } from '@bond/io-linux';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  compileSendFault,
  listenOnLoopback,
  runSendBurst,
  type LoopbackReceiver,
} from '../../io-native-core/test/send-fault-harness.js';

const built = process.platform === 'linux' && existsSync(defaultAddonPath());

const title = 'linux-mmsg send faults (sendmmsg wrapped in a child process)';
describe.skipIf(!built)(built ? title : `${title} (skipped: addon not built)`, () => {
  let dir = '';
  let library = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bond-send-faults-'));
    library = compileSendFault(dir);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const receivers: LoopbackReceiver[] = [];
  afterEach(() => {
    for (const receiver of receivers.splice(0)) receiver.socket.close();
  });

  async function listen(): Promise<LoopbackReceiver> {
    const receiver = await listenOnLoopback();
    receivers.push(receiver);
    return receiver;
  }

  function burst(fault: string, port: number, lengths: number[]) {
    const addonPath = defaultAddonPath();
    const common = { counterCount: COUNTER_COUNT, metaStride: META_STRIDE };
    return runSendBurst({ addonPath, fault, library, port, lengths, ...common });
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
