import { createTsupConfig } from '../../tooling/tsup/create-tsup-config.js';

// Two entries: `metrics` alone loads prom-client, so an app can import it only when it serves HTTP.
export default createTsupConfig({
  entry: { index: 'src/index.ts', metrics: 'src/snapshot-metrics.ts' },
});
