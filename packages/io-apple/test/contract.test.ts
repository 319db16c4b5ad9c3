// The @bond/io contract suite against the Apple addon's code. On Linux it runs on the shim of
// recvmsg_x / sendmsg_x, once batched and once on the plain recvmsg / sendmsg path.
import { existsSync } from 'node:fs';
import type { IoBackend } from '@bond/io';
import { hasIpv6Loopback, runContractSuite } from '@bond/io/testing';
import { defaultAddonPath, loadAppleBackend, type AppleBackendStatus } from '@bond/io-apple';

const supported = process.platform === 'darwin' || process.platform === 'linux';
const built = supported && existsSync(defaultAddonPath());
const skip = !supported
  ? `Apple platforms, or Linux with the shim (this is ${process.platform})`
  : !built
    ? 'addon not built: run `pnpm build` (needs a C compiler)'
    : undefined;
const ipv6 = await hasIpv6Loopback();

function backendOf(status: AppleBackendStatus): () => IoBackend {
  return () => {
    if (status.backend === undefined) throw status.loadError ?? new Error('no backend');
    return status.backend;
  };
}

const batched = loadAppleBackend({ allowShim: true });
const where = process.platform === 'linux' ? 'on the Linux shim' : 'on this Mac';
const title = `apple-msgx backend, recvmsg_x/sendmsg_x ${where}`;
runContractSuite({
  title,
  backend: backendOf(batched),
  expectedName: 'apple-msgx',
  ipv6,
  reportsTruncation: true,
  skip:
    skip ??
    (batched.binding?.msgxAvailable() === false
      ? 'recvmsg_x/sendmsg_x unavailable here (macOS < 15.6)'
      : undefined),
});

runContractSuite({
  title: `apple-msgx backend, plain recvmsg/sendmsg ${where}`,
  backend: backendOf(loadAppleBackend({ allowShim: true, plain: true })),
  expectedName: 'apple-msgx',
  ipv6,
  reportsTruncation: true,
  skip,
});
