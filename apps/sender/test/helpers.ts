// Shared test helpers: bounded waits, temporary directories, an in-memory log output, and plain
// UDP sockets on loopback that record what they receive.
import { createSocket, type Socket } from 'node:dgram';
import type { LogOutput } from '../src/index.js';

/** Waits until `condition()` holds, polling every 10 ms, for at most `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Collects JSON log lines in memory. */
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

export interface RecordingSocket {
  readonly socket: Socket;
  readonly port: number;
  readonly received: { bytes: Uint8Array; address: string; port: number }[];
  send(bytes: Uint8Array, port: number, address?: string): void;
  close(): Promise<void>;
}

/** A UDP socket bound to `address` (port 0) that records every datagram. */
export async function openRecordingSocket(address: string): Promise<RecordingSocket> {
  const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  const received: RecordingSocket['received'] = [];
  socket.on('message', (message, from) => {
    received.push({ bytes: new Uint8Array(message), address: from.address, port: from.port });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      resolve();
    });
  });
  return {
    socket,
    port: socket.address().port,
    received,
    send(bytes, port, to = address) {
      socket.send(bytes, port, to);
    },
    close: () =>
      new Promise<void>((resolve) => {
        socket.close(() => {
          resolve();
        });
      }),
  };
}

/** One sample of Prometheus exposition text. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Every sample of exposition `text` (comment lines skipped). */
export function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] ?? ''] = pair[2] ?? '';
    }
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

/**
 * The value of the one sample of `metric` whose labels include every `labels` pair (undefined when
 * there is none); throws when more than one matches, so a test never reads the wrong series.
 */
export function metricValue(
  samples: readonly MetricSample[],
  metric: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (sample) =>
      sample.name === metric &&
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (found.length > 1) {
    throw new Error(`${found.length} samples of ${metric} match ${JSON.stringify(labels)}`);
  }
  return found[0]?.value;
}
