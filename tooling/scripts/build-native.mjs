#!/usr/bin/env node
// Builds the N-API addon with node-gyp against the running Node's headers. Never fails the build:
// without a compiler (or off Linux) it says why and exits 0, and the package then reports itself
// unavailable so @bond/io falls back to node:dgram. BOND_REQUIRE_NATIVE=1 makes a failure fatal.
//
// node-gyp is found where npm keeps it (npm ships it), or through npm_config_node_gyp; the headers
// come from npm_config_nodedir or from the Node installation itself (<prefix>/include/node), so no
// download is needed. binding.gyp lives in native/, not the package root: package managers run
// `node-gyp rebuild` at install for any package with a root binding.gyp, which would fail
// `pnpm install` on a machine without a compiler.
//
// The C core both addons share is copied into native/core/ first (see native-core.mjs for why a
// copy); building from an unpacked tarball uses the copy it ships.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { copyNativeCore } from './native-core.mjs';

// Run from a native package's directory (its `build:native` script): the addon is built there.
const packageDir = process.cwd();
const addon = process.argv[2] ?? 'addon';
const platforms = (process.argv[3] ?? 'linux').split(',');
const required = process.env.BOND_REQUIRE_NATIVE === '1';

function giveUp(reason) {
  const line = `[${addon}] native addon not built: ${reason}; the dgram backend will be used`;
  if (required) {
    console.error(`${line} (BOND_REQUIRE_NATIVE=1: failing)`);
    process.exit(1);
  }
  console.warn(line);
  process.exit(0);
}

if (!platforms.includes(process.platform)) giveUp(`not built on ${process.platform}`);

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
    join(
      dirname(process.execPath),
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package: fine, npm's copy is usually there
  }
  return candidates.find((path) => path !== undefined && path !== '' && existsSync(path));
}

function findNodeDir() {
  const configured = process.env.npm_config_nodedir;
  if (configured !== undefined && configured !== '') return configured;
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

copyNativeCore(packageDir);
const nodeGyp = findNodeGyp();
if (nodeGyp === undefined) giveUp('node-gyp not found (it ships with npm)');
const nodeDir = findNodeDir();
const args = [nodeGyp, 'rebuild', '--release', '--loglevel=warn'];
if (nodeDir !== undefined) args.push(`--nodedir=${nodeDir}`);
const result = spawnSync(process.execPath, args, {
  cwd: join(packageDir, 'native'),
  stdio: 'inherit',
});
if (result.status !== 0)
  giveUp(`node-gyp failed (${result.error?.message ?? `exit ${result.status}`})`);
console.log(`[${addon}] native addon built`);
