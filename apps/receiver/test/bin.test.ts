// The bond-receiver executable as users run it: the built `dist/bin.js` in its own process
// (`pnpm build` first; CI builds before testing). Exit codes, --help, start-up, SIGHUP with an
// invalid config file and with new limits, and a clean SIGTERM.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { cleanupAfterEach, startBin, waitFor } from '../../common/test/support/testing.js';
import { freeUdpPort } from './helpers.js';
import { createGroup, joinGroup, openLink, type SrtlaLink } from './srtla-links.js';

const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
const built = existsSync(BIN);

// Real processes and sockets on a shared 2-core machine: generous bounds, never timing asserts.
vi.setConfig({ testTimeout: 20_000 });

const defer = cleanupAfterEach();

const start = (args: readonly string[]) => startBin(BIN, args, defer);

describe.skipIf(!built)('bond-receiver process (needs `pnpm build` for dist/bin.js)', () => {
  it('prints help and exits 0; exits 2 with a message for bad arguments', async () => {
    const help = start(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.output()).toContain('bond-receiver SRTLA_LISTEN_PORT SRT_HOST SRT_PORT');
    const bad = start(['5000', 'host']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/BOND_ERR_USAGE: expected SRTLA_LISTEN_PORT SRT_HOST SRT_PORT/);
    const level = start(['--log_level=loud']);
    expect(await level.exited).toBe(2);
    expect(level.output()).toContain(
      'log_level must be one of trace, debug, info, warn, error, critical or off, got "loud"',
    );
  });

  it('exits 2, saying what to fix, for a config file that is missing or invalid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bond-receiver-bin-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    const missing = start(['--config', join(dir, 'nope.json')]);
    expect(await missing.exited).toBe(2);
    expect(missing.output()).toMatch(/BOND_ERR_CONFIG_FILE: config file .*nope\.json/);
    const config = join(dir, 'receiver.json');
    await writeFile(config, JSON.stringify({ srt_port: 'many' }));
    const invalid = start(['--config', config]);
    expect(await invalid.exited).toBe(2);
    expect(invalid.output()).toContain('srt_port');
  });

  it('runs, refuses an invalid config on SIGHUP and keeps running, and closes on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bond-receiver-bin-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    const config = join(dir, 'receiver.json');
    const srtlaPort = await freeUdpPort();
    await writeFile(
      config,
      JSON.stringify({
        srtla_port: srtlaPort,
        srt_hostname: '127.0.0.1',
        srt_port: await freeUdpPort(),
      }),
    );
    const receiver = start(['--config', config, '--listen', '127.0.0.1', '--log-format', 'json']);
    await waitFor(
      () => receiver.output().includes('"msg":"receiver listening"'),
      'start-up log',
      10_000,
    );
    expect(receiver.output()).toContain(`"listen":"127.0.0.1:${srtlaPort}"`);

    await writeFile(config, '{ "srt_port": 0 }');
    receiver.child.kill('SIGHUP');
    await waitFor(() => receiver.output().includes('config reload refused'), 'the refusal', 10_000);
    expect(receiver.output()).toMatch(/srt_port must be a UDP port number/);
    expect(receiver.child.exitCode).toBeNull();

    receiver.child.kill('SIGTERM');
    expect(await receiver.exited).toBe(0);
    expect(receiver.output()).toContain('"msg":"receiver closed"');
  }, 20_000);

  it('applies a lower max-links on SIGHUP to the running group, and logs what needs a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bond-receiver-bin-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    const config = join(dir, 'receiver.json');
    const srtlaPort = await freeUdpPort();
    const base = {
      srtla_port: srtlaPort,
      srt_hostname: '127.0.0.1',
      srt_port: await freeUdpPort(),
    };
    await writeFile(config, JSON.stringify({ ...base, 'max-links': 3 }));
    const receiver = start(['--config', config, '--listen', '127.0.0.1', '--log-format', 'json']);
    await waitFor(
      () => receiver.output().includes('"msg":"receiver listening"'),
      'start-up log',
      10_000,
    );
    const links: SrtlaLink[] = [];
    for (const address of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
      const link = await openLink(address, srtlaPort);
      defer(() => link.close());
      links.push(link);
    }
    const [first, second, third] = links as [SrtlaLink, SrtlaLink, SrtlaLink];
    const groupId = await createGroup(first);
    expect(await joinGroup(first, groupId)).toBe('reg3');
    expect(await joinGroup(second, groupId)).toBe('reg3');

    const reloads = () => receiver.output().split('"msg":"config reloaded"').length - 1;
    await writeFile(config, JSON.stringify({ ...base, 'max-links': 1, srtla_port: srtlaPort + 1 }));
    receiver.child.kill('SIGHUP');
    await waitFor(() => reloads() === 1, 'the first reload', 10_000);
    expect(receiver.output()).toMatch(/"msg":"config reloaded"[^\n]*"applied":\["max-links"\]/);
    expect(receiver.output()).toMatch(
      /"msg":"config reload: some changes need a restart and were not applied"[^\n]*"settings":\["srtla_port"\]/,
    );
    expect(await joinGroup(third, groupId)).toBe('reg-err');
    // The two links already up are kept: re-registering one is still answered with REG3.
    expect(await joinGroup(second, groupId)).toBe('reg3');

    await writeFile(config, JSON.stringify({ ...base, 'max-links': 3 }));
    receiver.child.kill('SIGHUP');
    await waitFor(() => reloads() === 2, 'the second reload', 10_000);
    expect(await joinGroup(third, groupId)).toBe('reg3');
    expect(receiver.child.exitCode).toBeNull();
  }, 20_000);
});
