// OpenOptions.reusePort on the Apple addon (on Linux: through its shim of recvmsg_x/sendmsg_x).
import { existsSync } from 'node:fs';
import { describe } from 'vitest';
import { defaultAddonPath, loadAppleBackend } from '@bond/io-apple';
import { runReusePortSuite } from '@bond/io/testing';

const supported =
  (process.platform === 'darwin' || process.platform === 'linux') && existsSync(defaultAddonPath());
const status = supported ? loadAppleBackend({ allowShim: true }) : undefined;
describe.skipIf(status?.backend === undefined)('apple-msgx reusePort', () => {
  runReusePortSuite(() => {
    if (status?.backend === undefined) throw new Error('no backend');
    return status.backend;
  });
});
