// Regression: the SRT listener's state went stale ("answered" forever after the first answer, even
// once the listener had died). With a real srt-live-transmit listener on loopback: /healthz is 200
// while it runs, 503 within a few seconds of killing it, 200 again after restarting it; the stats
// API's `srtListener.answered` and /metrics' bond_receiver_srt_listener_answered agree with it at
// every step; and the log has one line per change, not one per check.
import { describe, expect, it, vi } from 'vitest';
import { run, type RunningReceiver, type StatsView } from '../src/index.js';
import {
  cleanupAfterEach,
  memoryLog,
  metricValue,
  parseMetrics,
  startProcess,
  type TestProcess,
} from '../../common/test/support/testing.js';
import { waitFor } from '../../common/test/support/testing.js';
import { freeUdpPort, hasCommand } from './helpers.js';

const SRT_TOOL = 'srt-live-transmit';
const hasSrt = hasCommand(SRT_TOOL);
// 500 ms: checks often enough that the whole test takes a few seconds.
const PROBE_INTERVAL_MS = 500;
// 5000 ms: "within a few seconds": an interval plus the probe's 1 s wait, with room for a loaded
// 2-core machine.
const CHANGE_WITHIN_MS = 5000;

vi.setConfig({ testTimeout: 40_000 });

const defer = cleanupAfterEach();

function startListener(port: number): TestProcess {
  const listener = startProcess(SRT_TOOL, [
    '-q',
    `srt://127.0.0.1:${port}?mode=listener`,
    'file://con',
  ]);
  defer(() => listener.stop());
  return listener;
}

interface Health {
  readonly status: number;
  readonly body: { status: string; reason?: string; srtListener?: string };
  readonly answered: boolean | undefined;
  readonly metric: number | undefined;
}

/** /healthz, the stats API and /metrics, read one after another. */
async function health(base: string): Promise<Health> {
  const response = await fetch(`${base}/healthz`);
  const body = (await response.json()) as Health['body'];
  const stats = (await (await fetch(`${base}/api/v1/stats`)).json()) as StatsView;
  const metrics = parseMetrics(await (await fetch(`${base}/metrics`)).text());
  return {
    status: response.status,
    body,
    answered: stats.srtListener.answered,
    metric: metricValue(metrics, 'bond_receiver_srt_listener_answered'),
  };
}

describe('the SRT listener state stays current', () => {
  it.skipIf(!hasSrt)(
    `/healthz, stats and metrics follow a listener that dies and comes back (needs ${SRT_TOOL})`,
    async () => {
      const port = await freeUdpPort();
      let listener = startListener(port);
      const log = memoryLog();
      const running: RunningReceiver = await run(
        {
          settings: {
            srtlaPort: 0,
            srtHost: '127.0.0.1',
            srtPort: port,
            listen: '127.0.0.1',
            http: { host: '127.0.0.1', port: 0 },
            probeIntervalMs: PROBE_INTERVAL_MS,
          },
          configFile: undefined,
        },
        { logOutput: log },
      );
      defer(() => running.close());
      const base = `http://${running.http?.address ?? ''}`;
      const messages = (text: string) => log.lines().filter((line) => line.msg === text).length;

      await waitFor(async () => (await health(base)).status === 200, 'healthy', CHANGE_WITHIN_MS);
      const up = await health(base);
      expect(up).toMatchObject({ status: 200, answered: true, metric: 1 });
      expect(up.body).toMatchObject({ status: 'ok', srtListener: `127.0.0.1:${port}` });

      await listener.stop();
      await waitFor(
        async () => (await health(base)).status === 503,
        '503 after the listener died',
        CHANGE_WITHIN_MS,
      );
      // Several more checks fail while it stays down: still one line for the change.
      const checks = running.stats().srtListener.attempts;
      await waitFor(
        () => running.stats().srtListener.attempts >= checks + 3,
        'three more checks',
        CHANGE_WITHIN_MS,
      );
      const down = await health(base);
      expect(down).toMatchObject({ status: 503, answered: false, metric: 0 });
      expect(down.body.status).toBe('unavailable');
      expect(down.body.reason).toMatch(`SRT listener 127.0.0.1:${port} unreachable`);
      expect(messages('SRT listener stopped answering')).toBe(1);

      listener = startListener(port);
      await waitFor(
        async () => (await health(base)).status === 200,
        'healthy after the restart',
        CHANGE_WITHIN_MS,
      );
      const back = await health(base);
      expect(back).toMatchObject({ status: 200, answered: true, metric: 1 });
      expect(messages('SRT listener answered')).toBe(1);
      expect(messages('SRT listener answers now')).toBe(1);
      expect(messages('SRT listener stopped answering')).toBe(1);
    },
  );
});
