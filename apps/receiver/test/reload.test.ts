// Config reload (SIGHUP's path) through run(), on loopback sockets: limits, timeouts and reorder
// apply to the running receiver and its existing groups; settings that need a restart are
// reported and kept; an invalid file is refused whole, naming the file and the setting.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { run, type RunningReceiver } from '../src/index.js';
import { cleanupAfterEach, memoryLog, waitFor } from '../../common/test/support/testing.js';
import { freeUdpPort } from './helpers.js';
import { createGroup, joinGroup, openLink, type SrtlaLink } from './srtla-links.js';

// Real sockets on a shared 2-core machine: generous bounds, never timing asserts.
vi.setConfig({ testTimeout: 20_000 });

const defer = cleanupAfterEach();

interface Started {
  running: RunningReceiver;
  log: ReturnType<typeof memoryLog>;
  file: string;
  /** Rewrites the config file with the SRT listener plus `settings`. */
  write: (settings: Record<string, string | number>) => Promise<void>;
}

async function start(settings: Record<string, string | number>): Promise<Started> {
  const dir = await mkdtemp(join(tmpdir(), 'bond-receiver-reload-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'receiver.json');
  const srtPort = await freeUdpPort();
  const write = (values: Record<string, string | number>) =>
    writeFile(file, JSON.stringify({ srt_hostname: '127.0.0.1', srt_port: srtPort, ...values }));
  await write(settings);
  const log = memoryLog();
  const running = await run(
    { settings: { listen: '127.0.0.1', srtlaPort: 0, probeIntervalMs: 60_000 }, configFile: file },
    { logOutput: log },
  );
  defer(() => running.close());
  return { running, log, file, write };
}

async function link(address: string, running: RunningReceiver): Promise<SrtlaLink> {
  const opened = await openLink(address, running.receiver.local.port);
  defer(() => opened.close());
  return opened;
}

describe('config reload', () => {
  it('lowers and raises max-links on a running group: links already up stay, new ones follow the limit', async () => {
    const { running, write } = await start({ 'max-links': 3 });
    const first = await link('127.0.0.2', running);
    const second = await link('127.0.0.3', running);
    const third = await link('127.0.0.4', running);
    const groupId = await createGroup(first);
    expect(await joinGroup(first, groupId)).toBe('reg3');
    expect(await joinGroup(second, groupId)).toBe('reg3');

    await write({ 'max-links': 1 });
    expect(await running.reload()).toEqual({ ok: true, applied: ['max-links'], needsRestart: [] });
    expect(running.receiver.stats().limits.maxLinksPerGroup).toBe(1);
    expect(running.settings().maxLinksPerGroup).toBe(1);
    expect(await joinGroup(third, groupId)).toBe('reg-err');
    // Nothing was dropped: both links are still in the group, and re-registering one is fine.
    expect(running.receiver.stats().groups[0]?.links).toHaveLength(2);
    expect(await joinGroup(second, groupId)).toBe('reg3');

    await write({ 'max-links': 3 });
    expect((await running.reload()).applied).toEqual(['max-links']);
    expect(await joinGroup(third, groupId)).toBe('reg3');
    expect(running.receiver.stats().groups[0]?.links).toHaveLength(3);
  });

  it('applies a lower max-groups without dropping a group, and a new pending timeout to existing groups', async () => {
    const { running, write } = await start({ 'max-groups': 3, 'pending-timeout': 600 });
    const a = await link('127.0.0.2', running);
    const b = await link('127.0.0.3', running);
    const c = await link('127.0.0.4', running);
    // REG1 creates nothing: the REG2 that brings its id back creates the group.
    expect(await joinGroup(a, await createGroup(a, 1))).toBe('reg3');
    expect(await joinGroup(b, await createGroup(b, 2))).toBe('reg3');

    await write({ 'max-groups': 1, 'pending-timeout': 600 });
    expect((await running.reload()).applied).toEqual(['max-groups']);
    expect(running.receiver.stats().groups).toHaveLength(2);
    // Over the lowered limit: a new group is refused, and no pending group is evicted for it.
    await expect(createGroup(c, 3)).rejects.toThrow(/answered with kind/);
    expect(running.receiver.stats().groups).toHaveLength(2);
    expect(running.receiver.stats().registration.groupsEvicted).toBe(0);

    // Both groups are pending (no data): at 600 s they would stay; at 0.2 s they go.
    await write({ 'max-groups': 1, 'pending-timeout': 0.2 });
    expect((await running.reload()).applied).toEqual(['pending-timeout']);
    expect(running.receiver.stats().limits.pendingGroupTimeoutMs).toBe(200);
    await waitFor(
      () => running.receiver.stats().groups.length === 0,
      'the pending groups to expire',
    );
    expect(await createGroup(c, 3)).toHaveLength(256);
  });

  it('applies max-pending-per-ip at once: a third pending group from one IP replaces its oldest', async () => {
    const { running, write } = await start({ 'max-pending-per-ip': 4 });
    expect(running.receiver.stats().limits.maxPendingGroupsPerIp).toBe(4);
    await write({ 'max-pending-per-ip': 2 });
    expect((await running.reload()).applied).toEqual(['max-pending-per-ip']);
    expect(running.receiver.stats().limits.maxPendingGroupsPerIp).toBe(2);
    // Three senders behind one IP (three ports), none streaming yet: two pending groups stay.
    for (let seed = 1; seed <= 3; seed++) {
      const sender = await link('127.0.0.2', running);
      expect(await joinGroup(sender, await createGroup(sender, seed))).toBe('reg3');
    }
    const stats = running.receiver.stats();
    expect(stats.groups).toHaveLength(2);
    expect(stats.registration).toMatchObject({ pendingGroups: 2, groupsEvicted: 1 });
  });

  it('switches the reorder engine on and off for a running group', async () => {
    const { running, write } = await start({ reorder: 'off' });
    const first = await link('127.0.0.2', running);
    await joinGroup(first, await createGroup(first));
    expect(running.receiver.stats().groups[0]?.forwardPath).toMatchObject({ mode: 'off' });

    await write({ reorder: 40 });
    expect((await running.reload()).applied).toEqual(['reorder']);
    expect(running.receiver.stats().reorder).toBe('40 ms');
    expect(running.receiver.stats().groups[0]?.forwardPath).toMatchObject({
      mode: 'fixed 40 ms',
    });

    await write({ reorder: 'off' });
    expect((await running.reload()).applied).toEqual(['reorder']);
    expect(running.receiver.stats().groups[0]?.forwardPath).toMatchObject({ mode: 'off' });
    expect(running.receiver.stats().groups).toHaveLength(1);
  });

  it('reports settings that need a restart and keeps their running values', async () => {
    const { running, log, write } = await start({ 'max-links': 4 });
    const port = running.receiver.local.port;
    await write({
      'max-links': 5,
      'io-backend': 'dgram',
      http: '127.0.0.1:1',
      'link-timeout': 20,
    });
    expect(await running.reload()).toEqual({
      ok: true,
      applied: ['max-links', 'link-timeout'],
      needsRestart: ['http', 'io-backend'],
    });
    expect(running.settings()).toMatchObject({
      maxLinksPerGroup: 5,
      linkTimeoutMs: 20_000,
      ioBackend: 'auto',
      http: undefined,
    });
    expect(running.http).toBeUndefined();
    expect(running.receiver.local.port).toBe(port);
    expect(running.receiver.stats().limits).toMatchObject({
      maxLinksPerGroup: 5,
      linkTimeoutMs: 20_000,
    });
    const warning = log
      .lines()
      .find(
        (line) => line.msg === 'config reload: some changes need a restart and were not applied',
      );
    expect(warning).toMatchObject({ level: 'warn', settings: ['http', 'io-backend'] });
    expect(String(warning?.hint)).toMatch(/restart bond-receiver/);

    // The same file again: nothing more to apply, and the restart is still owed.
    expect(await running.reload()).toEqual({
      ok: true,
      applied: [],
      needsRestart: ['http', 'io-backend'],
    });
  });

  it('refuses an invalid file whole, naming the file and the setting, and keeps every running value', async () => {
    const { running, log, file, write } = await start({ 'max-links': 4, reorder: 'off' });
    await write({ 'max-links': 2, reorder: 'auto', 'max-groups': 0 });
    const refused = await running.reload();
    expect(refused.ok).toBe(false);
    expect(refused.error).toContain(file);
    expect(refused.error).toMatch(/max-groups must be a whole number from 1 to 1000000, got "0"/);
    // Nothing of the file applied, not even its valid settings.
    expect(running.receiver.stats().limits.maxLinksPerGroup).toBe(4);
    expect(running.receiver.stats().reorder).toBe('off');
    expect(running.settings().maxLinksPerGroup).toBe(4);
    expect(log.lines().at(-1)).toMatchObject({
      level: 'error',
      msg: 'config reload refused: keeping the running configuration',
      file,
    });
    expect(String(log.lines().at(-1)?.hint)).toMatch(/fix the file and send SIGHUP again/);

    // A file that drops the SRT listener falls back to irlserver srtla_rec's defaults
    // (127.0.0.1:4001), as a start without them does.
    await writeFile(file, JSON.stringify({ 'max-links': 2 }));
    const dropped = await running.reload();
    expect(dropped.ok).toBe(true);
    expect(running.settings()).toMatchObject({
      srtHost: '127.0.0.1',
      srtPort: 4001,
      maxLinksPerGroup: 2,
    });
  });
});
