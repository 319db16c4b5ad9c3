// The receive buffer above net.core.rmem_max: with CAP_NET_ADMIN the addon's SO_RCVBUFFORCE gets
// the size asked for; without it (an unprivileged user) the plain SO_RCVBUF applies, capped by the
// kernel, and opening the socket still succeeds. Linux reports twice the data size it keeps.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReceiveBatch, type BatchSocket } from '@bond/io';
import { defaultAddonPath, loadLinuxBackend, prebuildAddonPath } from '@bond/io-linux';
import { afterEach, describe, expect, it } from 'vitest';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

const open: BatchSocket[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((socket) => socket.close()));
});

function rmemMax(): number {
  return Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim());
}

const linux = process.platform === 'linux';
const root = linux && process.geteuid?.() === 0;
const hasSetpriv = linux && spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;

const builds = [
  { name: 'source build', path: defaultAddonPath() },
  { name: `linux-${process.arch} prebuild`, path: prebuildAddonPath() },
];

for (const build of builds) {
  const built = linux && existsSync(build.path);
  describe.skipIf(!built)(`receive buffer above rmem_max, ${build.name}`, () => {
    it.skipIf(!root)('with CAP_NET_ADMIN (root) the socket gets the size asked for', async () => {
      const backend = loadLinuxBackend(build.path).backend;
      if (backend === undefined) throw new Error(`${build.name} did not load`);
      const requested = rmemMax() * 4;
      const socket = await backend.open({
        address: '127.0.0.1',
        batch: createReceiveBatch({ maxBatch: 8, slotSize: 2048 }),
        onBatch: () => undefined,
        receiveBufferSize: requested,
      });
      open.push(socket);
      expect(socket.bufferSizes().receive).toBe(2 * requested);
    });

    it.skipIf(!root || !hasSetpriv)(
      'as an unprivileged user the kernel caps it at rmem_max and the socket still opens',
      () => {
        const requested = rmemMax() * 4;
        // A child process as `nobody` opens the socket through the same addon and prints what the
        // kernel applied.
        const script = `
          const { createReceiveBatch } = await import('@bond/io');
          const { loadLinuxBackend } = await import('@bond/io-linux');
          const backend = loadLinuxBackend(${JSON.stringify(build.path)}).backend;
          if (!backend) throw new Error('addon did not load');
          const socket = await backend.open({
            address: '127.0.0.1',
            batch: createReceiveBatch({ maxBatch: 8, slotSize: 2048 }),
            onBatch: () => undefined,
            receiveBufferSize: ${requested},
          });
          console.log(JSON.stringify({ uid: process.getuid(), sizes: socket.bufferSizes() }));
          await socket.close();
        `;
        const child = spawnSync(
          'setpriv',
          [
            '--reuid=65534',
            '--regid=65534',
            '--clear-groups',
            '--inh-caps=-all',
            process.execPath,
            '--input-type=module',
            '-e',
            script,
          ],
          { cwd: packageRoot, encoding: 'utf8', timeout: 20_000 },
        );
        expect(child.status, child.stderr).toBe(0);
        const printed = JSON.parse(child.stdout.trim()) as {
          uid: number;
          sizes: { receive: number };
        };
        expect(printed.uid).toBe(65534);
        expect(printed.sizes.receive).toBe(2 * rmemMax());
      },
    );
  });
}
