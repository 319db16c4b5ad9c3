// A sender carrying real loopback traffic, for the run() tests: bond's receiver (`@bond/runtime`)
// in front of a recording "SRT listener", run() with links bound to 127.0.0.x, and a UDP "encoder"
// sending SRT data. Everything it starts is handed to `defer` to be stopped.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReceiver } from '@bond/runtime';
import { DatagramKind, classifyDatagram, peekSrtDataSeq } from '@bond/wire';
import { run, type RunDeps, type RunningSender } from '../src/index.js';
import { memoryLog, waitFor } from '../../common/test/support/testing.js';
import { openRecordingSocket, type RecordingSocket } from './helpers.js';
import { srtData as testSrtData } from '@bond/wire/testing';

/** Registers a cleanup to run after the test (in reverse order), also on failure. */
export type Defer = (stop: () => Promise<void>) => void;

/** A temporary directory, removed after the test. */
export async function tempDir(defer: Defer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bond-sender-test-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** An SRT data packet with sequence number `seq` and a 1316-byte payload. */
export function srtData(seq: number): Uint8Array {
  return testSrtData(seq, {
    messageNumber: (seq % 1000) + 1,
    timestamp: seq * 1000,
    destinationSocketId: 0x1234,
    payload: new Uint8Array(1316).fill(seq % 256),
  });
}

/** The SRT data sequence numbers `listener` received. */
export function dataSeqs(listener: RecordingSocket): Set<number> {
  return new Set(
    listener.received
      .filter((datagram) => classifyDatagram(datagram.bytes) === DatagramKind.SrtData)
      .map((datagram) => peekSrtDataSeq(datagram.bytes)),
  );
}

export interface Bench {
  readonly running: RunningSender;
  readonly log: ReturnType<typeof memoryLog>;
  readonly listener: RecordingSocket;
  readonly encoder: RecordingSocket;
  readonly uplinks: string;
  readonly dir: string;
  /** Sends seqs `from`..`to - 1` in chunks, waiting for each chunk at the listener. */
  stream(from: number, to: number): Promise<void>;
  /** Link addresses the receiver's group holds. */
  receiverLinks(): string[];
}

export async function startBench(
  defer: Defer,
  uplinkText: string,
  settings: Parameters<typeof run>[0]['settings'] = {},
  deps: Omit<RunDeps, 'logOutput'> = {},
): Promise<Bench> {
  const dir = await tempDir(defer);
  const uplinks = join(dir, 'uplinks');
  await writeFile(uplinks, uplinkText);
  const listener = await openRecordingSocket('127.0.0.1');
  defer(() => listener.close());
  const receiver = await createReceiver({
    port: 0,
    address: '127.0.0.1',
    upstream: { host: '127.0.0.1', port: listener.port },
  });
  defer(() => receiver.close());
  const log = memoryLog();
  const running = await run(
    {
      settings: {
        srtListenPort: 0,
        srtlaHost: '127.0.0.1',
        srtlaPort: receiver.local.port,
        ipsFile: uplinks,
        ...settings,
      },
      configFile: undefined,
    },
    { logOutput: log, watchDebounceMs: 20, ...deps },
  );
  defer(() => running.close());
  const encoder = await openRecordingSocket('127.0.0.1');
  defer(() => encoder.close());
  return {
    running,
    log,
    listener,
    encoder,
    uplinks,
    dir,
    async stream(from, to) {
      for (let start = from; start < to; start += 50) {
        const end = Math.min(to, start + 50);
        for (let seq = start; seq < end; seq++) {
          encoder.send(srtData(seq), running.sender.local.port);
        }
        await waitFor(
          () => {
            const seqs = dataSeqs(listener);
            for (let seq = start; seq < end; seq++) if (!seqs.has(seq)) return false;
            return true;
          },
          `SRT data ${start}..${end - 1} at the listener`,
        );
      }
    },
    receiverLinks: () =>
      (receiver.stats().groups[0]?.links ?? [])
        .map((link) => link.address.split(':')[0] ?? '')
        .sort(),
  };
}
