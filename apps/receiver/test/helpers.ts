// The receiver's test helpers: free loopback ports, whether a tool is there, and a receiver
// started on loopback.
// What both apps' tests use (cleanup, waits, logs, processes, metrics) is in
// apps/common/test/support.
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { run, type LogOutput, type RunOptions, type RunningReceiver } from '../src/index.js';
import { memoryLog } from '../../common/test/support/testing.js';

/** Whether `command` can be run here (for visible skips when a tool is missing). */
export function hasCommand(command: string, args: readonly string[] = ['-version']): boolean {
  const probe = spawnSync(command, [...args], { stdio: 'ignore', timeout: 5000 });
  return probe.error === undefined;
}

/** A UDP port free on 127.0.0.1 right now. */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) =>
    socket.close(() => {
      resolve();
    }),
  );
  return port;
}

/**
 * bond-receiver's `run()` on loopback: the SRTLA port on 127.0.0.1 (a free one), the SRT listener
 * on 127.0.0.1 at `settings.srtPort`, and whatever else `settings` sets; closed through `defer`.
 * Its log goes to `log` (a `memoryLog()` by default).
 */
export async function startReceiver(
  defer: (stop: () => Promise<void>) => void,
  settings: RunOptions['settings'],
  log: LogOutput = memoryLog(),
  configFile?: string,
): Promise<RunningReceiver> {
  const running = await run(
    {
      settings: { srtlaPort: 0, listen: '127.0.0.1', srtHost: '127.0.0.1', ...settings },
      configFile,
    },
    { logOutput: log },
  );
  defer(() => running.close());
  return running;
}

/**
 * Writes `count` payloads of `size` bytes numbered 0..count-1 (a big-endian u32 at the start) to
 * an SRT caller's stdin, 10 every 10 ms (about 1000 a second), then `filler` payloads of 0xff that
 * push the counted ones through the caller's and the listener's buffers.
 */
export async function feedNumberedPayloads(
  input: NodeJS.WritableStream,
  count: number,
  size: number,
  filler: number,
): Promise<void> {
  for (let next = 0; next < count;) {
    for (let burst = 0; burst < 10 && next < count; burst++, next++) {
      const payload = Buffer.alloc(size);
      payload.writeUInt32BE(next, 0);
      input.write(payload);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  for (let i = 0; i < filler; i++) input.write(Buffer.alloc(size, 0xff));
}
