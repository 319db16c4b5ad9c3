// A full kernel send queue (EAGAIN), which loopback never produces, on both of the Apple addon's
// send paths: sendmsg_x for connected sockets and one sendmsg per datagram otherwise. Runs on the
// Linux shim build through the shared send-fault harness (the addon in a child process with
// sendmmsg / sendmsg wrapped; the receiver here, on 127.0.0.1).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, COUNTER_COUNT, META_STRIDE } from '@bond/io';
import { waitFor } from '@bond/io/testing';
import { defaultAddonPath } from '@bond/io-apple';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  compileSendFault,
  listenOnLoopback,
  runSendBurst,
  type LoopbackReceiver,
} from '../../io-native-core/test/send-fault-harness.js';

const skip =
  process.platform !== 'linux'
    ? `the Linux shim build only: LD_PRELOAD wraps glibc's calls (this is ${process.platform})`
    : !existsSync(defaultAddonPath())
      ? 'addon not built'
      : undefined;

const title = 'apple-msgx send faults on the Linux shim (send calls wrapped in a child process)';
describe.skipIf(skip !== undefined)(
  skip === undefined ? title : `${title} (skipped: ${skip})`,
  () => {
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

    // 20 datagrams of mixed sizes; the queue takes 5.
    const lengths = Array.from({ length: 20 }, (_, i) => 100 + (i % 7));

    const paths = [
      {
        name: 'sendmsg_x (connected socket)',
        connect: true,
        plain: false,
        batched: true,
        calls: 2,
      },
      // One sendmsg per datagram: five taken, the sixth refused.
      {
        name: 'sendmsg (unconnected socket)',
        connect: false,
        plain: true,
        batched: false,
        calls: 6,
      },
    ];
    for (const path of paths) {
      it(`a full send queue on ${path.name} drops the rest of the batch and counts it`, async () => {
        const receiver = await listenOnLoopback();
        receivers.push(receiver);
        const result = await runSendBurst({
          addonPath: defaultAddonPath(),
          fault: 'queue-full:5',
          library,
          port: receiver.port,
          lengths,
          counterCount: COUNTER_COUNT,
          metaStride: META_STRIDE,
          connect: path.connect,
          plain: path.plain,
        });
        expect(result.batched).toBe(path.batched);
        expect(result.returned).toBe(5);
        expect(result.counters[Counter.datagramsSent]).toBe(5);
        expect(result.counters[Counter.sendDropped]).toBe(15);
        expect(result.counters[Counter.sendErrors]).toBe(0);
        expect(result.counters[Counter.sendCalls]).toBe(path.calls);
        await waitFor(() => receiver.firstBytes.length >= 5, '5 datagrams');
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(receiver.firstBytes).toEqual([0, 1, 2, 3, 4]);
      });
    }
  },
);
