#!/usr/bin/env node
// The `lb-standin` command. Runs the built CLI (`pnpm build` first); see `lb-standin --help`.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/lb-standin-cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'lb-standin: not built yet; run `pnpm build` at the repository root first\n',
  );
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
