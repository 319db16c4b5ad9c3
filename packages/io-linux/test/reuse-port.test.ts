// OpenOptions.reusePort: SO_REUSEPORT on the addon's sockets, so several processes (bond-receiver
// --workers N) serve one port and the kernel spreads the sources over them.
import { describe } from 'vitest';
import { loadLinuxBackend } from '@bond/io-linux';
import { runReusePortSuite } from '@bond/io/testing';

const status = loadLinuxBackend();
describe.skipIf(status.backend === undefined)('linux-mmsg reusePort', () => {
  runReusePortSuite(() => {
    if (status.backend === undefined) throw new Error('no backend');
    return status.backend;
  });
});
