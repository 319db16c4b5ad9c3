// The bond-sender executable as users run it: the built `dist/bin.js` in its own process (`pnpm
// build` first). Exit codes, --help, an unusable uplink file, SIGHUP with garbage, clean SIGTERM,
// and --http from the build (prom-client and the page come from the built @bond/app-common).
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReceiver } from '@bond/runtime';
import { describe, expect, it, vi } from 'vitest';
import {
  cleanupAfterEach,
  freeTcpPort,
  startBin,
  waitFor,
} from '../../common/test/support/testing.js';
import { openRecordingSocket } from './helpers.js';

const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
const built = existsSync(BIN);

vi.setConfig({ testTimeout: 20_000 });

const defer = cleanupAfterEach();

const start = (args: readonly string[]) => startBin(BIN, args, defer);

describe.skipIf(!built)('bond-sender process (needs `pnpm build` for dist/bin.js)', () => {
  it('prints help (exit 0); exits 2 for bad arguments and for a file of garbage', async () => {
    const help = start(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.output()).toContain('bond-sender SRT_LISTEN_PORT SRTLA_HOST SRTLA_PORT');
    const bad = start(['6000', 'host', '5000']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/BOND_ERR_USAGE: expected SRT_LISTEN_PORT/);
    const dir = await mkdtemp(join(tmpdir(), 'bond-sender-bin-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'ips'), 'garbage\n');
    const garbage = start(['6000', '127.0.0.1', '5000', join(dir, 'ips')]);
    expect(await garbage.exited).toBe(2);
    expect(garbage.output()).toMatch(/BOND_ERR_UPLINK_FILE: .*ips:1: "garbage"/);
    // A config file that does not exist is the user's to fix, too.
    const missing = start(['--config', join(dir, 'nope.json')]);
    expect(await missing.exited).toBe(2);
    expect(missing.output()).toMatch(/BOND_ERR_CONFIG_FILE: config file .*nope\.json/);
  });

  it('waits for a receiver name that does not resolve yet, and exits 0 on SIGTERM meanwhile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bond-sender-bin-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'ips'), '127.0.0.2\n');
    // .invalid never resolves (RFC 6761).
    const encoder = await openRecordingSocket('127.0.0.1');
    const encoderPort = encoder.port;
    await encoder.close();
    const sender = start([String(encoderPort), 'receiver.bond.invalid', '5000', join(dir, 'ips')]);
    await waitFor(
      () => sender.output().includes('cannot resolve the receiver receiver.bond.invalid yet'),
      'the cannot-resolve line',
      10_000,
    );
    expect(sender.child.exitCode).toBeNull();
    sender.child.kill('SIGTERM');
    expect(await sender.exited).toBe(0);
    expect(sender.output().match(/cannot resolve the receiver/g)).toHaveLength(1);
  });

  it('runs, refuses garbage on SIGHUP and keeps running, and closes on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bond-sender-bin-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    const listener = await openRecordingSocket('127.0.0.1');
    defer(() => listener.close());
    const receiver = await createReceiver({
      port: 0,
      address: '127.0.0.1',
      upstream: { host: '127.0.0.1', port: listener.port },
    });
    defer(() => receiver.close());
    const ips = join(dir, 'ips');
    await writeFile(ips, '127.0.0.2 name=a\n');
    const probe = await openRecordingSocket('127.0.0.1');
    const encoderPort = probe.port;
    await probe.close();
    const sender = start([
      String(encoderPort),
      '127.0.0.1',
      String(receiver.local.port),
      ips,
      '--log-format',
      'json',
    ]);
    await waitFor(() => sender.output().includes('"msg":"link up"'), 'a link up', 10_000);
    await writeFile(ips, 'garbage\n');
    sender.child.kill('SIGHUP');
    await waitFor(
      () => sender.output().includes('uplink file reload refused'),
      'the refusal',
      10_000,
    );
    expect(sender.child.exitCode).toBeNull();
    sender.child.kill('SIGTERM');
    expect(await sender.exited).toBe(0);
    expect(sender.output()).toContain('"msg":"sender closed"');
  });

  it('serves /metrics and the live page with --http, and says where', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bond-sender-bin-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    const ips = join(dir, 'ips');
    await writeFile(ips, '127.0.0.2 name=a\n');
    const probe = await openRecordingSocket('127.0.0.1');
    const encoderPort = probe.port;
    await probe.close();
    const http = `127.0.0.1:${await freeTcpPort()}`;
    // Nothing answers on the SRTLA side (port 9, discard): HTTP works before any link is up.
    const sender = start([String(encoderPort), '127.0.0.1', '9', ips, '--http', http]);
    await waitFor(
      () => sender.output().includes('"msg":"HTTP server listening"'),
      'the HTTP log line',
      10_000,
    );
    expect(sender.output()).toContain(`"dashboard":"http://${http}/"`);
    const metrics = await (await fetch(`http://${http}/metrics`)).text();
    expect(metrics).toMatch(/^bond_sender_links 1$/m);
    expect(metrics).toMatch(
      /^bond_sender_link_state\{link="a",address="127\.0\.0\.2",state="up"\} 0$/m,
    );
    const page = await (await fetch(`http://${http}/`)).text();
    expect(page).toContain('<title>bond-sender</title>');
    expect(page).toMatch(/new EventSource\(["']api\/v1\/events["']\)/);
    sender.child.kill('SIGTERM');
    expect(await sender.exited).toBe(0);
  });
});
