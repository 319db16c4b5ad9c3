/**
 * The apps' structured logger (bond-sender, bond-receiver, and embedders who want the same lines):
 * one line per event, JSON (`{"time","level","msg",...fields}`) when the output is not a terminal,
 * `time LEVEL msg key=value ...` when it is. Level and format can change while running (reload).
 */
import type { RuntimeLogger } from './logger.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'json' | 'text' | 'auto';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface AppLogger extends RuntimeLogger {
  configure(level: LogLevel, format: LogFormat): void;
}

export interface LogOutput {
  write(line: string): unknown;
  readonly isTTY?: boolean;
}

export function createLogger(level: LogLevel, format: LogFormat, output: LogOutput): AppLogger {
  let threshold = RANK[level];
  let json = format === 'json' || (format === 'auto' && output.isTTY !== true);
  const write = (lineLevel: Exclude<LogLevel, 'silent'>) => {
    return (message: string, fields: Record<string, unknown> = {}) => {
      if (RANK[lineLevel] < threshold) return;
      const time = new Date().toISOString();
      if (json) {
        output.write(
          `${JSON.stringify({ time, level: lineLevel, msg: message, ...fields }, replacer)}\n`,
        );
        return;
      }
      const rest = Object.entries(fields)
        .map(
          ([key, value]) =>
            `${key}=${typeof value === 'string' ? value : JSON.stringify(value, replacer)}`,
        )
        .join(' ');
      output.write(
        `${time} ${lineLevel.toUpperCase().padEnd(5)} ${message}${rest === '' ? '' : ` ${rest}`}\n`,
      );
    };
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    configure(nextLevel, nextFormat) {
      threshold = RANK[nextLevel];
      json = nextFormat === 'json' || (nextFormat === 'auto' && output.isTTY !== true);
    },
  };
}

/** Errors as their message and code; everything else as is. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${value.message}` : value.message;
  }
  return value;
}
