// `bond-receiver --cluster redis://...` without a process (start() in-process): refused with
// --workers above 1, a clear error when Redis does not answer at start, and with a real
// redis-server (skipped when there is none) two nodes that join, see each other in
// `/api/v1/cluster`, label their metrics with their node index, and leave on close.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { CliRunning } from '@bond/app-common';
import {
  cleanupAfterEach,
  freeTcpPort,
  memoryLog,
  metricValue,
  parseMetrics,
} from '../../common/test/support/testing.js';
import { boundUdpSocket, waitFor } from '@bond/io/testing';
import {
  RedisServer,
  findRedisServer,
  freePort,
} from '../../../packages/cluster/test/redis-server.js';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { start } from '../src/workers.js';
import { CHROMIUM, openHeadlessPage } from '../../common/test/support/testing.js';
import { freeUdpPort } from './helpers.js';
import { createEndpoint, startSenderStandIn } from './sender-stand-in.js';

vi.setConfig({ testTimeout: 30_000 });

const defer = cleanupAfterEach();
const redisBinary = findRedisServer();

async function keyFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bond-cluster-test-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'cluster.key');
  await writeFile(path, randomBytes(32), { mode: 0o600 });
  return path;
}

function messages(log: ReturnType<typeof memoryLog>): string[] {
  return log.lines().map((line) => String(line.msg));
}

interface ClusterDoc {
  mode: string;
  self: number;
  redis: string;
  nodes: { index: number; nodeId: string; backplane: string; state: string }[];
}

async function clusterDoc(http: number): Promise<ClusterDoc> {
  return (await (await fetch(`http://127.0.0.1:${http}/api/v1/cluster`)).json()) as ClusterDoc;
}

describe('bond-receiver --cluster', () => {
  it('refuses --cluster with --workers above 1, saying what to do instead', async () => {
    const log = memoryLog();
    await expect(
      start(
        {
          settings: {
            srtlaPort: await freeUdpPort(),
            listen: '127.0.0.1',
            workers: 2,
            cluster: 'redis://127.0.0.1:1',
            backplane: { host: '127.0.0.1', port: await freeUdpPort() },
            clusterKeyFile: await keyFile(),
          },
          configFile: undefined,
        },
        { logOutput: log },
      ),
    ).rejects.toThrow(/--cluster and --workers 2 do not combine yet.*one bond-receiver per core/);
  });

  it('fails to start with BOND_ERR_CLUSTER_UNAVAILABLE when Redis does not answer, password hidden', async () => {
    const log = memoryLog();
    const port = await freePort();
    const failure = start(
      {
        settings: {
          srtlaPort: await freeUdpPort(),
          listen: '127.0.0.1',
          cluster: `redis://:hunter2@127.0.0.1:${port}`,
          backplane: { host: '127.0.0.1', port: await freeUdpPort() },
          clusterKeyFile: await keyFile(),
        },
        configFile: undefined,
      },
      { logOutput: log },
    );
    const error = (await failure.then(
      () => undefined,
      (reason: unknown) => reason,
    )) as (Error & { code?: string }) | undefined;
    expect(error?.code).toBe('BOND_ERR_CLUSTER_UNAVAILABLE');
    expect(error?.message).toContain(
      `cannot join the cluster: Redis at redis://:***@127.0.0.1:${port}`,
    );
    expect(error?.message).toContain('did not start');
    expect(error?.message).not.toContain('hunter2');
    expect(JSON.stringify(log.lines())).not.toContain('hunter2');
  });

  it.skipIf(redisBinary === undefined)(
    'two nodes join one Redis, see each other in /api/v1/cluster, label metrics, and leave (needs redis-server)',
    async () => {
      const redis = new RedisServer(redisBinary ?? '', await freePort());
      defer(() => redis.stop());
      await redis.start();
      const key = await keyFile();
      const nodes: { running: CliRunning; http: number; log: ReturnType<typeof memoryLog> }[] = [];
      for (const name of ['rx-a', 'rx-b']) {
        const log = memoryLog();
        const http = await freeTcpPort();
        const running = await start(
          {
            settings: {
              srtlaPort: await freeUdpPort(),
              listen: '127.0.0.1',
              probeIntervalMs: 60_000,
              http: { host: '127.0.0.1', port: http },
              cluster: redis.url,
              nodeId: name,
              backplane: { host: '127.0.0.1', port: await freeUdpPort() },
              clusterKeyFile: key,
            },
            configFile: undefined,
          },
          { logOutput: log },
        );
        defer(() => running.close());
        nodes.push({ running, http, log });
      }
      const [a, b] = nodes;
      if (a === undefined || b === undefined) throw new Error('two nodes');
      // One line each: joined, with the node index, id, backplane and the Redis URL.
      for (const [i, node] of nodes.entries()) {
        const joined = messages(node.log).filter((line) => line.includes('cluster: joined'));
        expect(joined).toHaveLength(1);
        expect(joined[0]).toContain(`redis://127.0.0.1:${redis.port}`);
        expect(joined[0]).toContain(i === 0 ? '(rx-a)' : '(rx-b)');
        expect(joined[0]).toMatch(/backplane 127\.0\.0\.1:\d+/);
      }
      await waitFor(
        async () => {
          const doc = await clusterDoc(a.http);
          return doc.nodes.length === 2 && doc.nodes.every((node) => node.state === 'up');
        },
        async () => `both nodes up in node a's view: ${JSON.stringify(await clusterDoc(a.http))}`,
        10_000,
      );
      const doc = await clusterDoc(a.http);
      expect(doc.mode).toBe('redis');
      expect(doc.nodes.map((node) => node.nodeId).sort()).toEqual(['rx-a', 'rx-b']);
      const indexA = doc.self;
      const indexB = doc.nodes.find((node) => node.nodeId === 'rx-b')?.index;
      expect(indexB).not.toBe(indexA);
      const metrics = parseMetrics(
        await (await fetch(`http://127.0.0.1:${b.http}/metrics`)).text(),
      );
      expect(
        metricValue(metrics, 'bond_receiver_uptime_seconds', { node: String(indexB) }),
      ).toBeGreaterThan(0);
      expect(
        metricValue(metrics, 'bond_receiver_cluster_forwarded_total', { node: String(indexB) }),
      ).toBe(0);
      // Node b leaves: node a's view drops it (its node key is deleted on leave).
      await b.running.close();
      expect(messages(b.log)).toContain(`cluster: node ${indexB} left`);
      await waitFor(
        async () => (await clusterDoc(a.http)).nodes.length === 1,
        'node b gone from node a view',
        10_000,
      );
    },
  );

  it.skipIf(redisBinary === undefined)(
    'names the owning node on each group in /api/v1/stats and on the dashboard (needs redis-server; the page needs Chromium)',
    async () => {
      const redis = new RedisServer(redisBinary ?? '', await freePort());
      defer(() => redis.stop());
      await redis.start();
      const listener = await boundUdpSocket(defer);
      const http = await freeTcpPort();
      const srtlaPort = await freeUdpPort();
      const running = await start(
        {
          settings: {
            srtlaPort,
            listen: '127.0.0.1',
            srtHost: '127.0.0.1',
            srtPort: listener.address().port,
            probeIntervalMs: 60_000,
            http: { host: '127.0.0.1', port: http },
            cluster: redis.url,
            nodeId: 'rx-owner',
            backplane: { host: '127.0.0.1', port: await freeUdpPort() },
            clusterKeyFile: await keyFile(),
          },
          configFile: undefined,
        },
        { logOutput: memoryLog() },
      );
      defer(() => running.close());
      const sender = await startSenderStandIn({
        receiver: createEndpoint('127.0.0.1', srtlaPort),
        linkAddresses: ['127.0.0.2'],
      });
      defer(() => sender.close());
      await waitFor(() => sender.linksUp() === 1, 'the link up');
      const self = (await clusterDoc(http)).self;
      const stats = (await (await fetch(`http://127.0.0.1:${http}/api/v1/stats`)).json()) as {
        groups: { node?: number; nodeId?: string }[];
      };
      expect(stats.groups).toHaveLength(1);
      expect(stats.groups[0]?.node).toBe(self);
      expect(stats.groups[0]?.nodeId).toBe('rx-owner');
      if (!existsSync(CHROMIUM)) return;
      const page = await openHeadlessPage(chromium, defer, { width: 1100, height: 700 });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`http://127.0.0.1:${http}/`, { timeout: 10_000 });
      const meta = page.locator('section.group p.meta').first();
      await meta.waitFor({ timeout: 10_000 });
      expect(await meta.textContent()).toMatch(/^node rx-owner · group 1 · /);
      expect(errors).toEqual([]);
    },
  );
});
