// A missing or broken addon must never crash: the backend reports why, and @bond/io's selector
// falls back to dgram keeping the error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createReceiveBatch,
  NativeBackendUnavailableError,
  openSocket,
  selectBackend,
} from '@bond/io';
import { loadLinuxBackend } from '@bond/io-linux';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'bond-io-linux-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('when the addon cannot load', () => {
  it('reports a missing addon as unavailable, with the loader error as cause', () => {
    const status = loadLinuxBackend(join(dir, 'missing.node'));
    expect(status.backend).toBeUndefined();
    expect(status.loadError).toBeInstanceOf(NativeBackendUnavailableError);
    expect(status.loadError?.message).toContain('missing.node');
    expect((status.loadError?.cause as Error | undefined)?.message).toMatch(
      /Cannot find module|ENOENT/,
    );
  });

  it('reports a corrupt addon as unavailable instead of throwing', () => {
    const corrupt = join(dir, 'corrupt.node');
    writeFileSync(corrupt, 'not an ELF file');
    const status = loadLinuxBackend(corrupt);
    expect(status.backend).toBeUndefined();
    expect(status.loadError?.cause).toBeInstanceOf(Error);
  });

  it('auto selection falls back to dgram and keeps the load error; native selection fails with it', async () => {
    const status = loadLinuxBackend(join(dir, 'missing.node'));
    const selection = await selectBackend({ loadNative: () => Promise.resolve(status), env: {} });
    expect(selection.backend.name).toBe('dgram');
    expect(selection.loadError).toBe(status.loadError);
    const socket = await openSocket({
      address: '127.0.0.1',
      batch: createReceiveBatch(),
      onBatch: () => undefined,
      loadNative: () => Promise.resolve(status),
      env: {},
    });
    try {
      expect(socket.backend).toBe('dgram');
    } finally {
      await socket.close();
    }
    await expect(
      selectBackend({ backend: 'native', loadNative: () => Promise.resolve(status), env: {} }),
    ).rejects.toMatchObject({ cause: status.loadError });
  });
});
