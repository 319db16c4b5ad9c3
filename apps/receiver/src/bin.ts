#!/usr/bin/env node
/**
 * The `bond-receiver` executable. It sets {@link RECEIVER_V8_FLAGS} before any of bond's code is
 * loaded (it imports nothing else but Node's own modules; a test holds it to that), then loads the
 * program (`cli.ts`).
 */
import { setFlagsFromString } from 'node:v8';
import { RECEIVER_V8_FLAGS } from './heap-flags.js';

for (const flag of RECEIVER_V8_FLAGS) setFlagsFromString(flag);
import('./cli.js').catch((error: unknown) => {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`bond-receiver: could not load the program: ${detail}\n`);
  process.exitCode = 1;
});
