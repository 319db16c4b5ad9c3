import { createTsupConfig } from '../tsup/create-tsup-config.js';

export default createTsupConfig({ entry: { index: 'src/index.ts' } });
