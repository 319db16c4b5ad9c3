// The @bond/io contract suite against the recvmmsg/sendmmsg addon.
import { existsSync } from 'node:fs';
import { hasIpv6Loopback, runContractSuite } from '@bond/io/testing';
import { defaultAddonPath, loadLinuxBackend } from '@bond/io-linux';

const status = loadLinuxBackend();
const skip =
  process.platform !== 'linux'
    ? `Linux only (this is ${process.platform})`
    : !existsSync(defaultAddonPath())
      ? 'addon not built: run `pnpm build` (needs a C compiler)'
      : undefined;

runContractSuite({
  title: 'linux-mmsg backend',
  backend: () => {
    if (status.backend === undefined) throw status.loadError ?? new Error('no backend');
    return status.backend;
  },
  expectedName: 'linux-mmsg',
  ipv6: await hasIpv6Loopback(),
  reportsTruncation: true,
  skip,
});
