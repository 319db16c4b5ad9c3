import { createTsupConfig } from '../../tooling/tsup/create-tsup-config.js';

// @bond/app-common is private (never published): it is bundled into this app's dist, and its own
// dependencies are this app's dependencies.
export default createTsupConfig({
  entry: { index: 'src/index.ts', bin: 'src/bin.ts' },
  noExternal: ['@bond/app-common'],
});
