// @bond/io's send-table suite against the recvmmsg/sendmmsg addon's raw binding.
import { existsSync } from 'node:fs';
import { runSendTableSuite } from '@bond/io/testing';
import { defaultAddonPath, loadLinuxBackend } from '@bond/io-linux';

const status = loadLinuxBackend();

runSendTableSuite({
  title: 'linux-mmsg binding',
  binding: () => {
    if (status.binding === undefined) throw status.loadError ?? new Error('no binding');
    return status.binding;
  },
  skip:
    process.platform !== 'linux'
      ? `Linux only (this is ${process.platform})`
      : !existsSync(defaultAddonPath())
        ? 'addon not built: run `pnpm build` (needs a C compiler)'
        : undefined,
});
