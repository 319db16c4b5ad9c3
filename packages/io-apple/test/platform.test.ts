// Off Apple platforms the package must load and say it is unavailable; a broken addon must not crash.
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { NativeBackendUnavailableError } from '@bond/io';
import {
  defaultAddonPath,
  loadAppleBackend,
  loadNativeBackend,
  prebuildAddonPath,
} from '@bond/io-apple';
import { describe, expect, it } from 'vitest';

describe('@bond/io-apple availability', () => {
  it.skipIf(process.platform === 'darwin')(
    'reports itself unavailable off Apple platforms (skipped on macOS)',
    () => {
      const status = loadNativeBackend();
      expect(status.backend).toBeUndefined();
      expect(status.loadError).toBeInstanceOf(NativeBackendUnavailableError);
      expect(status.loadError?.message).toContain('Apple platforms only');
    },
  );

  it.skipIf(process.platform !== 'linux')(
    'reports a missing addon as unavailable, with the cause kept (Linux only)',
    () => {
      const status = loadAppleBackend({
        allowShim: true,
        addonPath: join(tmpdir(), 'no-such-bond-addon.node'),
      });
      expect(status.backend).toBeUndefined();
      expect(status.loadError?.cause).toBeInstanceOf(Error);
    },
  );

  it.skipIf(process.platform !== 'linux' || !existsSync(defaultAddonPath()))(
    'the Linux build is the shim, with the batch calls resolved (skipped: not Linux or not built)',
    () => {
      const status = loadAppleBackend({ allowShim: true });
      expect(status.binding?.shim).toBe(true);
      expect(status.binding?.msgxAvailable()).toBe(true);
    },
  );

  it.skipIf(process.platform !== 'linux' || !existsSync(defaultAddonPath()))(
    'on Linux loads the source build (no Apple prebuild fits) and says which file it tried first (skipped: not Linux or not built)',
    () => {
      const status = loadAppleBackend({ allowShim: true });
      expect(status.addon).toEqual({ kind: 'source build', path: defaultAddonPath() });
      expect(status.attempts).toHaveLength(1);
      expect(status.attempts[0]).toMatchObject({
        kind: 'prebuild',
        path: prebuildAddonPath('linux', process.arch),
      });
      expect(status.attempts[0]?.error.message).toMatch(/ENOENT/);
    },
  );
});
