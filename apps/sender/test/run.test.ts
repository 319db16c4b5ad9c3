// run() without a process, against bond's receiver on loopback: links bound to 127.0.0.x, a UDP
// "encoder" sending SRT data, a UDP "SRT listener" behind the receiver. The stream arrives; the
// uplink file is rewritten (a link removed, another added) without disturbing the link that stays;
// a file of garbage is refused and the links keep running; --stats-json writes NDJSON.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { UplinkFileError, run } from '../src/index.js';
import { cleanupAfterEach, memoryLog, waitFor } from '../../common/test/support/testing.js';
import { dataSeqs, startBench, tempDir } from './sender-bench.js';

// Real sockets on a shared machine: generous bounds, never timing asserts.
vi.setConfig({ testTimeout: 20_000 });

const defer = cleanupAfterEach();

describe('run()', () => {
  it('carries the stream and applies a rewritten uplink file without disturbing the kept link', async () => {
    const bench = await startBench(
      defer,
      '127.0.0.2 name=lte-1\n127.0.0.3 name=lte-2 priority=80\n',
    );
    const { running } = bench;
    expect(running.links().map((link) => [link.name, link.priority])).toEqual([
      ['lte-1', 100],
      ['lte-2', 80],
    ]);
    await waitFor(() => running.sender.stats().linksUp === 2, 'two links up');
    await bench.stream(0, 300);
    expect(bench.receiverLinks()).toEqual(['127.0.0.2', '127.0.0.3']);

    const kept = running.sender.stats().links.find((link) => link.bindAddress === '127.0.0.3');
    if (kept === undefined) throw new Error('link 127.0.0.3 is missing');
    const sentBefore = kept.socket.datagramsSent;

    // Replaced by rename, as editors save: the watch follows the new file.
    const next = join(bench.dir, 'uplinks.new');
    await writeFile(
      next,
      '# lte-1 is gone\n127.0.0.3 name=lte-2 priority=60\n127.0.0.4 name=wifi\n',
    );
    await rename(next, bench.uplinks);
    await waitFor(
      () =>
        running
          .links()
          .map((link) => link.address)
          .join() === '127.0.0.3,127.0.0.4',
      'the reload of the rewritten file',
    );
    await waitFor(() => running.sender.stats().linksUp === 2, 'the new link up');
    await bench.stream(300, 600);

    const after = running.sender.stats().links.find((link) => link.bindAddress === '127.0.0.3');
    expect(after?.id).toBe(kept.id);
    expect(after?.socket.local).toBe(kept.socket.local);
    expect(after?.socket.state).toBe('open');
    expect(after?.priority).toBe(60);
    expect(after?.socket.datagramsSent ?? 0).toBeGreaterThan(sentBefore);
    expect(running.sender.stats().links.map((link) => link.bindAddress)).toEqual([
      '127.0.0.3',
      '127.0.0.4',
    ]);
    expect(bench.log.lines().find((line) => line.msg === 'uplinks reloaded')).toMatchObject({
      added: ['127.0.0.4'],
      removed: ['127.0.0.2'],
      changed: ['127.0.0.3'],
    });
    expect(dataSeqs(bench.listener).size).toBe(600);
  });

  it('refuses a reload whose every line is garbage and keeps the links running', async () => {
    const bench = await startBench(defer, '127.0.0.2\n127.0.0.3\n');
    const { running } = bench;
    await waitFor(() => running.sender.stats().linksUp === 2, 'two links up');
    await bench.stream(0, 100);

    await writeFile(bench.uplinks, 'garbage\nwwan0 priority=high\n');
    const outcome = await running.reload();
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(/no valid uplink address in it; every line was invalid: .*:1: /);
    await waitFor(
      () =>
        bench.log
          .lines()
          .some((line) => line.msg === 'uplink file reload refused: keeping the running links'),
      'the refusal in the log',
    );
    expect(running.links().map((link) => link.address)).toEqual(['127.0.0.2', '127.0.0.3']);
    await bench.stream(100, 300);
    expect(running.sender.stats().linksUp).toBe(2);
    expect(bench.receiverLinks()).toEqual(['127.0.0.2', '127.0.0.3']);
  });

  it('refuses to start on a file with no valid address', async () => {
    const dir = await tempDir(defer);
    const uplinks = join(dir, 'uplinks');
    await writeFile(uplinks, '# nothing\nnot-an-address\n');
    const started = run(
      {
        settings: { srtListenPort: 0, srtlaHost: '127.0.0.1', srtlaPort: 9, ipsFile: uplinks },
        configFile: undefined,
      },
      { logOutput: memoryLog() },
    );
    await expect(started).rejects.toBeInstanceOf(UplinkFileError);
    await expect(started).rejects.toThrow(/uplinks:2: "not-an-address" is not an IPv4 or IPv6/);
  });

  it('writes NDJSON snapshots with --stats-json', async () => {
    const dir = await tempDir(defer);
    const statsFile = join(dir, 'stats.ndjson');
    const bench = await startBench(defer, '127.0.0.2 name=a\n127.0.0.3 name=b\n', {
      statsJson: statsFile,
      statsIntervalMs: 50,
    });
    await waitFor(() => bench.running.sender.stats().linksUp === 2, 'two links up');
    await bench.stream(0, 100);
    const snapshots = async () =>
      (await readFile(statsFile, 'utf8').catch(() => ''))
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    await waitFor(async () => {
      const written = await snapshots();
      return written.length >= 2 && written.some((snapshot) => snapshot.packetsFromEncoder === 100);
    }, 'two snapshots, one after the stream');
    await bench.running.close();
    const all = await snapshots();
    expect(all.length).toBeGreaterThanOrEqual(2);
    const last = all.at(-1);
    expect(typeof last?.time).toBe('string');
    expect(last?.listen).toBe(`127.0.0.1:${bench.running.sender.local.port}`);
    expect((last?.links as { name: string }[] | undefined)?.map((link) => link.name)).toEqual([
      'a',
      'b',
    ]);
    // The live view's rows ride along: the same document as /api/v1/stats.
    expect(
      (last?.linkStatus as { name: string; address: string }[] | undefined)?.map((row) => [
        row.name,
        row.address,
      ]),
    ).toEqual([
      ['a', '127.0.0.2'],
      ['b', '127.0.0.3'],
    ]);
  });
});
