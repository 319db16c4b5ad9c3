// The @bond/io contract suite against the recvmmsg/sendmmsg addon: the node-gyp source build, and
// the zig-built prebuild for this architecture (the same C, cross-compiled against glibc 2.28).
import { existsSync } from 'node:fs';
import { hasIpv6Loopback, runContractSuite } from '@bond/io/testing';
import { defaultAddonPath, loadLinuxBackend, prebuildAddonPath } from '@bond/io-linux';

const ipv6 = await hasIpv6Loopback();

const builds = [
  {
    title: 'linux-mmsg backend',
    path: defaultAddonPath(),
    missing: 'addon not built: run `pnpm build` (needs a C compiler)',
  },
  {
    title: `linux-mmsg backend, linux-${process.arch} prebuild`,
    path: prebuildAddonPath(),
    missing: 'no prebuild for this architecture: run `pnpm build` (needs zig, a dev dependency)',
  },
];

for (const build of builds) {
  const status = loadLinuxBackend(build.path);
  runContractSuite({
    title: build.title,
    backend: () => {
      if (status.backend === undefined) throw status.loadError ?? new Error('no backend');
      return status.backend;
    },
    expectedName: 'linux-mmsg',
    ipv6,
    reportsTruncation: true,
    skip:
      process.platform !== 'linux'
        ? `Linux only (this is ${process.platform})`
        : !existsSync(build.path)
          ? build.missing
          : undefined,
  });
}
