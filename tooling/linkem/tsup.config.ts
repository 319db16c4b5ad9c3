import { createTsupConfig } from '../tsup/create-tsup-config.js';

// `cli` is the entry `bin/linkem.mjs` loads.
export default createTsupConfig({ entry: { index: 'src/index.ts', cli: 'src/cli.ts' } });
