import {
  createMemoryNetwork,
  createReceiveBatch,
  dgramBackend,
  IoArgumentError,
  NativeBackendUnavailableError,
  openSocket,
  selectBackend,
  type NativeBackendStatus,
} from '@bond/io';
import { describe, expect, it } from 'vitest';

const broken = new Error('addon failed to load: invalid ELF header');
const unavailable = (): Promise<NativeBackendStatus> =>
  Promise.resolve({ backend: undefined, loadError: broken });
const standIn = createMemoryNetwork().backend;
const available = (): Promise<NativeBackendStatus> =>
  Promise.resolve({ backend: standIn, loadError: undefined });

describe('selectBackend', () => {
  it('auto: takes the native backend when it loads', async () => {
    const selection = await selectBackend({ backend: 'auto', loadNative: available, env: {} });
    expect(selection.backend).toBe(standIn);
    expect(selection.loadError).toBeUndefined();
  });

  it('auto: falls back to dgram and keeps the load error', async () => {
    const selection = await selectBackend({ loadNative: unavailable, env: {} });
    expect(selection.backend).toBe(dgramBackend);
    expect(selection.choice).toBe('auto');
    expect(selection.loadError).toBe(broken);
    expect(selection.reason).toContain('invalid ELF header');
  });

  it('auto: a loader that throws is a load error, not a crash', async () => {
    const selection = await selectBackend({ loadNative: () => Promise.reject(broken), env: {} });
    expect(selection.backend).toBe(dgramBackend);
    expect(selection.loadError).toBe(broken);
  });

  it('native: fails with the load error as cause', async () => {
    const attempt = selectBackend({ backend: 'native', loadNative: unavailable, env: {} });
    await expect(attempt).rejects.toBeInstanceOf(NativeBackendUnavailableError);
    await expect(attempt).rejects.toMatchObject({
      code: 'BOND_ERR_IO_NATIVE_UNAVAILABLE',
      cause: broken,
    });
  });

  it('dgram: never loads the native backend', async () => {
    let loads = 0;
    const selection = await selectBackend({
      backend: 'dgram',
      loadNative: () => {
        loads++;
        return available();
      },
      env: {},
    });
    expect(selection.backend).toBe(dgramBackend);
    expect(loads).toBe(0);
  });

  it('BOND_IO_BACKEND overrides the option, and a bad value is an argument error', async () => {
    const selection = await selectBackend({
      backend: 'native',
      loadNative: available,
      env: { BOND_IO_BACKEND: 'dgram' },
    });
    expect(selection.backend).toBe(dgramBackend);
    expect(selection.reason).toContain('BOND_IO_BACKEND');
    await expect(selectBackend({ env: { BOND_IO_BACKEND: 'fast' } })).rejects.toBeInstanceOf(
      IoArgumentError,
    );
  });

  it('openSocket opens on the selected backend', async () => {
    const socket = await openSocket({
      address: '127.0.0.1',
      batch: createReceiveBatch(),
      onBatch: () => undefined,
      loadNative: available,
      env: {},
    });
    try {
      expect(socket.backend).toBe('memory');
    } finally {
      await socket.close();
    }
  });
});
