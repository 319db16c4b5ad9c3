// The real peers the benchmarks run beside bond: BELABOX's srtla_send and srtla_rec and
// irlserver's C++ srtla_rec, built from ../shared/peers (beside the repository) with its build.sh,
// once, into tooling/bench/build/peers (build.sh skips what is already built). They run as separate
// processes; none of their code is in bond.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir, rootDir } from './processes.mjs';

/** Where the peers are built unless told otherwise. */
export const PEERS_DIR = join(benchDir, 'build', 'peers');
/** The peers' sources and build script: `shared/peers` beside the repository. */
export const PEERS_SOURCE = join(rootDir, '..', 'shared', 'peers');

/**
 * The peers' binaries in `dir`, built first when missing (about 45 s; build.sh installs its
 * compilers with apt-get when they are missing and it runs as root). Throws with what to do when
 * the sources are not there or the build fails.
 */
export function peerBinaries(dir = PEERS_DIR) {
  const binaries = {
    belaboxSend: join(dir, 'belabox', 'srtla_send'),
    belaboxRec: join(dir, 'belabox', 'srtla_rec'),
    irlserverRec: join(dir, 'irlserver', 'srtla_rec'),
  };
  if (Object.values(binaries).every((file) => existsSync(file))) return binaries;
  const script = join(PEERS_SOURCE, 'build.sh');
  if (!existsSync(script)) {
    throw new Error(
      `the real peers are not built in ${dir} and their sources are not at ${PEERS_SOURCE}: put shared/peers beside the repository, or leave the peers out of --systems`,
    );
  }
  process.stderr.write(`building the real peers into ${dir} (about 45 s, once)...\n`);
  const built = spawnSync('bash', [script, dir], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600_000,
  });
  if (built.status !== 0 || !Object.values(binaries).every((file) => existsSync(file))) {
    throw new Error(
      `${script} ${dir} failed (exit ${built.status ?? built.signal}): see its output above`,
    );
  }
  return binaries;
}
