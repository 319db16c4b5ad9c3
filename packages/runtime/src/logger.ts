/**
 * The logger the runtime writes to: core's four-level shape plus `error`. The runtime logs state
 * changes (groups and links up and down, refusals, upstream failures), never per packet, and is
 * silent unless given a logger. Apps pass a structured one (JSON lines when not a TTY).
 */
import type { CoreLogger } from '@bond/core';

export interface RuntimeLogger extends CoreLogger {
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Drops everything: the default. */
export const silentRuntimeLogger: RuntimeLogger = {
  debug() {
    /* quiet by default */
  },
  info() {
    /* quiet by default */
  },
  warn() {
    /* quiet by default */
  },
  error() {
    /* quiet by default */
  },
};
