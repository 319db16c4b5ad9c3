import { createTsupConfig } from '../../tooling/tsup/create-tsup-config.js';

// The native packages are optionalDependencies, which tsup does not externalize by itself; bundled,
// they would look for their addon files beside runtime's dist/, not in their own package.
export default createTsupConfig({ external: ['@bond/io-linux', '@bond/io-apple'] });
