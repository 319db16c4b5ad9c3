// A reload whose SRT listener name does not resolve is refused whole: the limits it carried are
// undone. The resolver is replaced here so that no name query leaves the machine.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { run } from '../src/index.js';
import { cleanupAfterEach, memoryLog } from '../../common/test/support/testing.js';
import { freeUdpPort } from './helpers.js';

vi.mock('node:dns/promises', () => ({
  lookup: (host: string) =>
    host === 'srt.example'
      ? Promise.resolve({ address: '127.0.0.1', family: 4 })
      : Promise.reject(
          Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }),
        ),
}));

vi.setConfig({ testTimeout: 20_000 });

const defer = cleanupAfterEach();

describe('config reload and the SRT listener name', () => {
  it('refuses a file whose SRT listener does not resolve, and undoes the limits it carried', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bond-receiver-reload-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'receiver.json');
    const srtPort = await freeUdpPort();
    await writeFile(file, JSON.stringify({ srt_hostname: 'srt.example', srt_port: srtPort }));
    const log = memoryLog();
    const running = await run(
      {
        settings: { listen: '127.0.0.1', srtlaPort: 0, probeIntervalMs: 60_000 },
        configFile: file,
      },
      { logOutput: log },
    );
    defer(() => running.close());
    expect(running.receiver.upstream()).toMatchObject({ ip: '127.0.0.1', port: srtPort });

    await writeFile(
      file,
      JSON.stringify({
        srt_hostname: 'gone.example',
        srt_port: srtPort,
        'max-links': 2,
        reorder: 40,
      }),
    );
    const refused = await running.reload();
    expect(refused.ok).toBe(false);
    expect(refused.error).toContain(file);
    expect(refused.error).toMatch(/gone\.example/);
    const stats = running.receiver.stats();
    expect(stats.limits.maxLinksPerGroup).toBe(16);
    expect(stats.reorder).toBe('auto');
    expect(running.settings()).toMatchObject({ srtHost: 'srt.example', maxLinksPerGroup: 16 });

    await writeFile(
      file,
      JSON.stringify({ srt_hostname: 'srt.example', srt_port: srtPort, 'max-links': 2 }),
    );
    expect(await running.reload()).toEqual({ ok: true, applied: ['max-links'], needsRestart: [] });
    expect(running.receiver.stats().limits.maxLinksPerGroup).toBe(2);
  });
});
