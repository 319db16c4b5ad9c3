/**
 * The optional logger core writes to. Core logs only state changes (a link up or down, a group
 * created or expired, a registration refused), never per packet; counters cover the hot path.
 */
export interface CoreLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** A logger that drops everything: core's default. */
export const silentLogger: CoreLogger = {
  debug() {
    /* quiet by default */
  },
  info() {
    /* quiet by default */
  },
  warn() {
    /* quiet by default */
  },
};
