// What bond-sender tells a streamer when things are wrong, through run() on loopback: a receiver
// that never answers is "receiver not answering" once (with what to check), first on an
// 80-column terminal view; a receiver name that does not resolve yet is retried (logged once)
// and the stream flows once it resolves. Plus the pieces: the loss window and the view's width.
import { Address } from '@bond/wire';
import { ReceiverResolveError } from '@bond/runtime';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  LossWindow,
  RECEIVER_SILENT_HINT,
  ResolveAbortedError,
  STATUS_COLUMNS,
  run,
  type TerminalOutput,
} from '../src/index.js';
import { cleanupAfterEach, waitFor } from '../../common/test/support/testing.js';
import { openRecordingSocket } from './helpers.js';
import { dataSeqs, startBench, tempDir } from './sender-bench.js';

// Real sockets on a shared machine: generous bounds, never timing asserts.
vi.setConfig({ testTimeout: 30_000 });

const defer = cleanupAfterEach();

/** A terminal 80 columns wide that keeps what was written: JSON log lines and view blocks. */
function terminal(): TerminalOutput & {
  logLines(): Record<string, unknown>[];
  views(): string[][];
} {
  const writes: string[] = [];
  return {
    isTTY: true,
    columns: 80,
    write(text: string) {
      writes.push(text);
      return true;
    },
    logLines: () =>
      writes
        .filter((text) => text.startsWith('{'))
        .map((text) => JSON.parse(text) as Record<string, unknown>),
    // The view writes its block in one piece; clearing it is an escape sequence of its own.
    views: () =>
      writes
        .filter((text) => !text.startsWith('{') && !text.startsWith('\x1b'))
        .map((text) => text.replace(/\n$/, '').split('\n')),
  };
}

describe('receiver not answering', () => {
  it('is said once, with what to check, and first on the 80-column view', async () => {
    const dir = await tempDir(defer);
    const uplinks = join(dir, 'uplinks');
    await writeFile(uplinks, '127.0.0.2 name=lte-1\n127.0.0.3 name=lte-2\n');
    // A socket that takes the registrations and never answers.
    const silent = await openRecordingSocket('127.0.0.1');
    defer(() => silent.close());
    const output = terminal();
    const running = await run(
      {
        settings: {
          srtListenPort: 0,
          srtlaHost: '127.0.0.1',
          srtlaPort: silent.port,
          ipsFile: uplinks,
          logFormat: 'json',
          statsIntervalMs: 100,
        },
        configFile: undefined,
      },
      { logOutput: output },
    );
    defer(() => running.close());

    await waitFor(
      () => output.logLines().some((line) => line.msg === 'receiver not answering: all links down'),
      'the receiver-not-answering line',
      15_000,
    );
    // Several bootstraps later (one every 2.5 s) it is still one line, and the bootstraps are
    // debug lines, not info.
    const bootstrapsBefore = running.sender.stats().bootstraps;
    await waitFor(
      () => running.sender.stats().bootstraps >= bootstrapsBefore + 2,
      'two more bootstraps',
      15_000,
    );
    const lines = output.logLines();
    const silentLines = lines.filter((line) =>
      String(line.msg).startsWith('receiver not answering'),
    );
    expect(silentLines).toHaveLength(1);
    expect(silentLines[0]).toMatchObject({
      level: 'warn',
      receiver: `127.0.0.1:${silent.port}`,
      check: RECEIVER_SILENT_HINT,
    });
    expect(lines.filter((line) => line.msg === 'registering a new group')).toEqual([]);
    expect(lines.filter((line) => String(line.msg).startsWith('all links down'))).toEqual([]);
    expect(silent.received.length).toBeGreaterThan(0);

    const stats = running.stats();
    expect(stats.alarm).toBe('receiver-silent');
    expect(stats.receiverSilent).toBe(true);
    const view = output.views().at(-1) ?? [];
    expect(view[0]).toMatch(
      /^!! RECEIVER NOT ANSWERING \(\d+ s\), ALL LINKS DOWN: check address, port, firewall$/,
    );
    expect(view.length).toBeGreaterThan(4);
    // Nothing was cut to the terminal: the view's own lines fit 80 columns.
    for (const line of view) expect(line.length).toBeLessThanOrEqual(STATUS_COLUMNS);
    expect(view.find((line) => line.startsWith('LINK'))).toMatch(/LOSS10s +ALL$/);
    expect(view.some((line) => line.startsWith('lte-1') && line.includes('connecting'))).toBe(true);
  });
});

describe('a receiver name that does not resolve yet', () => {
  it('is retried with back-off, logged once, and the stream flows once it resolves', async () => {
    let attempts = 0;
    const bench = await startBench(
      defer,
      '127.0.0.2 name=lte-1\n',
      { srtlaHost: 'receiver.bond.invalid' },
      {
        // The modem comes up on the fourth try: until then the name does not resolve.
        resolveReceiver: (host, port) => {
          attempts++;
          if (attempts < 4) {
            return Promise.reject(
              new ReceiverResolveError(host, { cause: new Error(`getaddrinfo ENOTFOUND ${host}`) }),
            );
          }
          const address = Address.parse('127.0.0.1', port);
          if (address === undefined) throw new Error('bad test address');
          return Promise.resolve(address);
        },
        resolveRetry: { firstMs: 20, maxMs: 80 },
      },
    );
    expect(attempts).toBe(4);
    const lines = bench.log.lines();
    const cannot = lines.filter((line) => String(line.msg).startsWith('cannot resolve'));
    expect(cannot).toHaveLength(1);
    expect(cannot[0]?.msg).toBe(
      'cannot resolve the receiver receiver.bond.invalid yet; retrying every 0.02 s, backing off to every 0.08 s',
    );
    expect(lines.find((line) => line.msg === 'receiver name resolved: starting')).toMatchObject({
      host: 'receiver.bond.invalid',
      attempts: 4,
    });
    await waitFor(() => bench.running.sender.stats().linksUp === 1, 'the link up');
    await bench.stream(0, 100);
    expect(dataSeqs(bench.listener).size).toBe(100);
  });

  it('gives up waiting when the start is aborted (SIGTERM while waiting)', async () => {
    const dir = await tempDir(defer);
    const uplinks = join(dir, 'uplinks');
    await writeFile(uplinks, '127.0.0.2\n');
    const abort = new AbortController();
    let attempts = 0;
    const started = run(
      {
        settings: {
          srtListenPort: 0,
          srtlaHost: 'nowhere.invalid',
          srtlaPort: 5000,
          ipsFile: uplinks,
        },
        configFile: undefined,
      },
      {
        logOutput: { isTTY: false, write: () => true },
        resolveReceiver: (host) => {
          attempts++;
          return Promise.reject(new ReceiverResolveError(host));
        },
        resolveRetry: { firstMs: 10, maxMs: 10 },
        signal: abort.signal,
      },
    );
    await waitFor(() => attempts >= 3, 'three attempts');
    abort.abort();
    await expect(started).rejects.toBeInstanceOf(ResolveAbortedError);
  });
});

describe('LossWindow', () => {
  it('counts NAKs over packets sent in the last 10 s, and forgets an outage after it', () => {
    const window = new LossWindow(10_000);
    // Clean: 1000 packets a second, no NAKs.
    expect(window.lossPercent(1, 0, 0, 0)).toBe(0);
    expect(window.lossPercent(1, 1000, 1000, 0)).toBe(0);
    // An outage: 500 of the next 1000 NAKed.
    expect(window.lossPercent(1, 2000, 2000, 500)).toBe(25);
    // Clean again; the outage is still inside the window...
    expect(window.lossPercent(1, 6000, 6000, 500)).toBeCloseTo((100 * 500) / 6000);
    // ...until it is not: at 13 s the window starts at the 2 s sample (after the outage).
    expect(window.lossPercent(1, 13_000, 13_000, 500)).toBe(0);
    // A link re-added under the same id (counters back at 0) starts over.
    expect(window.lossPercent(1, 14_000, 10, 5)).toBe(0);
    expect(window.lossPercent(1, 15_000, 110, 15)).toBe(10);
  });
});
