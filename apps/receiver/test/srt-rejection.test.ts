// A stream the SRT server rejects is said in words, counted, and its group expires. Real processes
// on loopback: srt-live-transmit caller (no passphrase) -> bond-sender (the built executable) ->
// bond-receiver (run()) -> srt-live-transmit listener with a passphrase. The listener answers the
// caller's conclusion handshake with a rejection; the receiver logs it once per group in words,
// counts it in the stats API and /metrics, and drops the pending group after --pending-timeout
// with a log line saying why.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { type StatsView } from '../src/index.js';
import {
  cleanupAfterEach,
  memoryLog,
  metricValue,
  parseMetrics,
  startBin,
  startProcess,
  waitFor,
} from '../../common/test/support/testing.js';
import { freeUdpPort, hasCommand, startReceiver } from './helpers.js';

const SRT_TOOL = 'srt-live-transmit';
const hasSrt = hasCommand(SRT_TOOL);
const senderBin = join(import.meta.dirname, '..', '..', 'sender', 'dist', 'bin.js');
const built = existsSync(senderBin);
// 1 s: the pending timeout under test (so the test takes seconds, not the default 5 s).
const PENDING_TIMEOUT_MS = 1000;
const REJECTED =
  'the SRT server rejected the stream: passphrase set on one side only (encoder or SRT server) (1011)';

vi.setConfig({ testTimeout: 60_000 });

const defer = cleanupAfterEach();

describe('a stream the SRT server rejects', () => {
  it.skipIf(!hasSrt || !built)(
    `is reported in words, counted, and its group expires (needs ${SRT_TOOL} and apps/sender built)`,
    async () => {
      const listenerPort = await freeUdpPort();
      const encoderPort = await freeUdpPort();
      const listener = startProcess(SRT_TOOL, [
        '-q',
        `srt://127.0.0.1:${listenerPort}?mode=listener&passphrase=correct-horse-battery`,
        'file://con',
      ]);
      defer(() => listener.stop());
      const log = memoryLog();
      const running = await startReceiver(
        defer,
        {
          srtPort: listenerPort,
          http: { host: '127.0.0.1', port: 0 },
          pendingGroupTimeoutMs: PENDING_TIMEOUT_MS,
        },
        log,
      );
      const base = `http://${running.http?.address ?? ''}`;

      const dir = mkdtempSync(join(tmpdir(), 'bond-rejection-'));
      defer(() => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      });
      const uplinks = join(dir, 'uplinks.txt');
      writeFileSync(uplinks, '127.0.0.1 name=loopback\n');
      const sender = startBin(
        senderBin,
        [String(encoderPort), '127.0.0.1', String(running.receiver.local.port), uplinks],
        defer,
      );
      await waitFor(() => running.stats().groups.length === 1, "the sender's group", 15_000).catch(
        (error: unknown) => {
          throw new Error(`${String(error)}; sender: ${sender.output().slice(-800)}`);
        },
      );
      // The caller has no passphrase: the listener rejects it.
      const caller = startProcess(
        SRT_TOOL,
        ['-v', 'file://con', `srt://127.0.0.1:${encoderPort}?mode=caller`],
        { stdin: true },
      );
      defer(() => caller.stop());
      caller.child.stdin?.on('error', () => undefined);

      const said = () =>
        log.lines().filter((line) => String(line.msg).startsWith('the SRT server rejected'));
      await waitFor(() => said().length > 0, 'the rejection in the log', 15_000).catch(
        (error: unknown) => {
          const receiver = JSON.stringify(log.lines().slice(-6));
          throw new Error(
            `${String(error)}; caller: ${caller.output().slice(-600)}; receiver: ${receiver}`,
          );
        },
      );
      const first = said()[0];
      // Caller without a passphrase, listener with one: SRT_REJ_UNSECURE.
      expect(first).toMatchObject({ level: 'warn', msg: REJECTED, reason: 'SRT_REJ_UNSECURE' });
      const groupId = first?.groupId;

      // Stats and metrics count it by reason.
      const stats = (await (await fetch(`${base}/api/v1/stats`)).json()) as StatsView;
      expect(stats.srtRejections).toContainEqual(
        expect.objectContaining({ code: 1011, name: 'SRT_REJ_UNSECURE' }),
      );
      const metrics = parseMetrics(await (await fetch(`${base}/metrics`)).text());
      expect(
        metricValue(metrics, 'bond_receiver_srt_rejections_total', {
          reason: 'SRT_REJ_UNSECURE',
          code: '1011',
        }),
      ).toBeGreaterThanOrEqual(1);

      // The group never carried accepted SRT: it expires after the pending timeout, saying why.
      const removal = () =>
        log.lines().find((line) => line.msg === 'group removed' && line.groupId === groupId);
      await waitFor(() => removal() !== undefined, 'the rejected group to expire', 15_000);
      expect(removal()?.reason).toBe(REJECTED);
      expect(running.stats().groups.every((group) => group.id !== groupId)).toBe(true);
      // One report per group.
      const perGroup = new Map<unknown, number>();
      for (const line of said()) perGroup.set(line.groupId, (perGroup.get(line.groupId) ?? 0) + 1);
      expect([...perGroup.values()].every((count) => count === 1)).toBe(true);
    },
  );
});
