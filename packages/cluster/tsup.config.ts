import { createTsupConfig } from '../../tooling/tsup/create-tsup-config.js';

export default createTsupConfig();
