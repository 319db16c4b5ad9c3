/**
 * `--stats-json FILE|-`: one JSON object per line (NDJSON), a `SenderSnapshot` with its `time`,
 * appended to FILE or written to stdout.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { SenderSnapshot } from '@bond/runtime';
import { BondError } from '@bond/wire';

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
  write(snapshot: SenderSnapshot): void;
  close(): Promise<void>;
}

/** Opens `target` (`-`: `stdout`) for appending snapshots. */
export async function openStatsJson(
  target: string,
  stdout: { write(line: string): unknown },
): Promise<StatsJsonWriter> {
  const line = (snapshot: SenderSnapshot) =>
    `${JSON.stringify({ time: new Date().toISOString(), ...snapshot })}\n`;
  if (target === '-') {
    return {
      write: (snapshot) => {
        stdout.write(line(snapshot));
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
    write(snapshot) {
      if (failure === undefined) stream.write(line(snapshot));
    },
    close: () =>
      new Promise<void>((resolve) => {
        stream.end(() => {
          resolve();
        });
      }),
  };
}
