import { createTsupConfig } from '../tsup/create-tsup-config.js';

// `lb-standin-cli` is the entry `bin/lb-standin.mjs` loads.
export default createTsupConfig({
  entry: { index: 'src/index.ts', 'lb-standin-cli': 'src/lb-standin-cli.ts' },
});
