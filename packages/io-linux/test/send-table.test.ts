// @bond/io's send-table suite against the recvmmsg/sendmmsg addon's raw binding: the source build
// and this architecture's prebuild.
import { existsSync } from 'node:fs';
import { runSendTableSuite } from '@bond/io/testing';
import { defaultAddonPath, loadLinuxBackend, prebuildAddonPath } from '@bond/io-linux';

const builds = [
  { title: 'linux-mmsg binding', path: defaultAddonPath(), needs: 'a C compiler' },
  {
    title: `linux-mmsg binding, linux-${process.arch} prebuild`,
    path: prebuildAddonPath(),
    needs: 'zig, a dev dependency',
  },
];

for (const build of builds) {
  const status = loadLinuxBackend(build.path);
  runSendTableSuite({
    title: build.title,
    binding: () => {
      if (status.binding === undefined) throw status.loadError ?? new Error('no binding');
      return status.binding;
    },
    skip:
      process.platform !== 'linux'
        ? `Linux only (this is ${process.platform})`
        : !existsSync(build.path)
          ? `not built: run \`pnpm build\` (needs ${build.needs})`
          : undefined,
  });
}
