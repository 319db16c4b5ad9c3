// The CLI through `main()`: usage, scenario errors, a short run relaying real datagrams, stopping.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@bond/io/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../src/cli.js';
import { closeAll, openPeer, sendSeries } from './udp-harness.js';

const dirs: string[] = [];
afterEach(async () => {
  await closeAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scenarioFile(scenario: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'linkem-cli-'));
  dirs.push(dir);
  const file = join(dir, 'scenario.json');
  writeFileSync(file, typeof scenario === 'string' ? scenario : JSON.stringify(scenario));
  return file;
}

function captureIo(): CliIo & { out: string[]; err: string[]; stop: () => void } {
  const out: string[] = [];
  const err: string[] = [];
  let stop = (): void => undefined;
  return {
    out,
    err,
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
    onStopSignal(handler) {
      stop = handler;
      return () => undefined;
    },
    stop: () => {
      stop();
    },
  };
}

describe('linkem CLI', () => {
  it('prints help', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.out.join('\n')).toMatch(/Usage: linkem --scenario FILE\.json/);
  });

  it('rejects bad usage and bad scenarios with exit status 2 and a clear message', async () => {
    const io = captureIo();
    expect(await main([], io)).toBe(2);
    expect(io.err.join('\n')).toMatch(/--scenario FILE\.json is required/);
    const bad = scenarioFile({ links: [{ name: 'a', target: { address: '127.0.0.1' } }] });
    expect(await main(['--scenario', bad], io)).toBe(2);
    expect(io.err.at(-1)).toMatch(
      /links\[0\]\.target\.port: must be a port number 0-65535, got undefined \(in .*\) \[BOND_ERR_LINKEM_CONFIG\]/,
    );
    expect(await main(['--scenario', bad, '--duration', 'soon'], io)).toBe(2);
    expect(io.err.at(-1)).toMatch(/--duration must be a number of seconds > 0, got "soon"/);
  });

  it('runs a scenario, relays datagrams, reports counters, and stops on a signal', async () => {
    const receiver = await openPeer();
    const sender = await openPeer();
    const file = scenarioFile({
      seed: 3,
      links: [
        {
          name: 'lte',
          target: { address: '127.0.0.1', port: receiver.port },
          up: { rateBps: 10_000_000, delayMs: 5 },
        },
      ],
    });
    const io = captureIo();
    const run = main(['--scenario', file, '--interval', '0.05'], io);
    await waitFor(() => io.out.some((line) => line.includes('listening on')), 'startup line');
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(io.out[0] ?? '')?.[1]);
    await sendSeries(sender, { address: '127.0.0.1', port }, 7);
    await waitFor(() => receiver.received.length === 7, 'relayed by the CLI');
    await waitFor(
      () => io.out.some((line) => /^\[ +\d+\.\ds\] lte up/.test(line)),
      'a periodic report',
    );
    io.stop();
    expect(await run).toBe(0);
    const final = io.out.filter((line) => line.includes('final'));
    expect(final).toHaveLength(2);
    expect(final[0]).toMatch(/lte up +offered 7 \(448 B\) delivered 7 \(448 B\) dropped queue=0/);
  });

  it('ends by itself after --duration, with JSON output', async () => {
    const file = scenarioFile({
      links: [{ name: 'a', target: { address: '127.0.0.1', port: 9 } }],
    });
    const io = captureIo();
    expect(await main(['-s', file, '-d', '0.1', '-i', '0', '--json'], io)).toBe(0);
    const last = JSON.parse(io.out.at(-1) ?? '{}') as {
      final?: boolean;
      links?: { name: string }[];
    };
    expect(last.final).toBe(true);
    expect(last.links?.[0]?.name).toBe('a');
  });
});
