/**
 * `--stats-json FILE|-`: one JSON object per line (NDJSON), the stats document (a `SenderSnapshot`
 * with its `time` and the live view's `linkStatus` rows), appended to FILE or written to stdout.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { BondError } from '@bond/wire';
import type { SenderStatsDocument } from './stats-document.js';

/** The stats file cannot be opened; the message names it and why. */
export class StatsOutputError extends BondError {
  static readonly code = 'BOND_ERR_STATS_OUTPUT';
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(
      StatsOutputError.code,
      `--stats-json ${path}: cannot open it (${reason}); give a writable file or - for stdout`,
      options,
    );
  }
}

export interface StatsJsonWriter {
  write(stats: SenderStatsDocument): void;
  close(): Promise<void>;
}

/** Opens `target` (`-`: `stdout`) for appending documents. */
export async function openStatsJson(
  target: string,
  stdout: { write(line: string): unknown },
): Promise<StatsJsonWriter> {
  const line = (stats: SenderStatsDocument) => `${JSON.stringify(stats)}\n`;
  if (target === '-') {
    return {
      write: (stats) => {
        stdout.write(line(stats));
      },
      close: () => Promise.resolve(),
    };
  }
  const stream: WriteStream = createWriteStream(target, { flags: 'a' });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => {
      resolve();
    });
    stream.once('error', (error) => {
      reject(new StatsOutputError(target, error.message, { cause: error }));
    });
  });
  let failure: Error | undefined;
  stream.on('error', (error) => {
    failure = error;
  });
  return {
    write(stats) {
      if (failure === undefined) stream.write(line(stats));
    },
    close: () =>
      new Promise<void>((resolve) => {
        stream.end(() => {
          resolve();
        });
      }),
  };
}
