/**
 * The cellular capacity traces (`test/traces/`, see its README). Every TypeScript test in the
 * repository that replays a trace finds it through {@link traceFile}.
 */
import { join } from 'node:path';

export const TRACE_FILES = [
  'TMobile-LTE-short.up',
  'Verizon-LTE-short.up',
  'ATT-LTE-driving.up',
  'TMobile-UMTS-driving.up',
] as const;

export type TraceFileName = (typeof TRACE_FILES)[number];

/** The absolute path of a file in `test/traces/`. */
export function traceFile(name: TraceFileName): string {
  return join(import.meta.dirname, 'traces', name);
}
