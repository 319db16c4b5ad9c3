import { createTsupConfig } from '../../tooling/tsup/create-tsup-config.js';

export default createTsupConfig({
  entry: { index: 'src/index.ts', testing: 'src/testing/index.ts' },
});
