// @bond/io's send-table suite against the Apple addon's raw binding (on Linux: the shim build).
import { existsSync } from 'node:fs';
import { runSendTableSuite } from '@bond/io/testing';
import { defaultAddonPath, loadAppleBackend } from '@bond/io-apple';

const status = loadAppleBackend({ allowShim: true });
const supported = process.platform === 'darwin' || process.platform === 'linux';

runSendTableSuite({
  title: 'apple-msgx binding',
  binding: () => {
    if (status.binding === undefined) throw status.loadError ?? new Error('no binding');
    return status.binding;
  },
  skip: !supported
    ? `Apple platforms, or Linux with the shim (this is ${process.platform})`
    : !existsSync(defaultAddonPath())
      ? 'addon not built: run `pnpm build` (needs a C compiler)'
      : undefined,
});
