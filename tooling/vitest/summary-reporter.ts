/**
 * Prints one plain closing line after every vitest run, `vitest: N passed, N failed, N skipped`,
 * so CI logs and scripts can read the outcome without parsing the default reporter's colours.
 */
import type { Reporter, TestModule } from 'vitest/node';

export class SummaryReporter implements Reporter {
  async onTestRunEnd(testModules: readonly TestModule[]): Promise<void> {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const testModule of testModules) {
      for (const test of testModule.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A module that failed to load has no tests; count it as a failure so it cannot hide.
      if (testModule.state() === 'failed' && !testModule.children.size) failed++;
    }
    // The default reporter finishes its own summary first; this line must close the output.
    await new Promise((resolve) => setImmediate(resolve));
    process.stdout.write(`\nvitest: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
