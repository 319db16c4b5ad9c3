// An in-memory log output for apps' loggers (`createLogger(level, 'json', memoryLog())`).
import type { LogOutput } from '@bond/runtime';

/** Collects JSON log lines in memory; `lines()` parses each. */
export function memoryLog(): LogOutput & { lines(): Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    isTTY: false,
    write(line: string) {
      lines.push(line);
      return true;
    },
    lines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
