// The receiver's test helpers: free loopback ports and whether a tool is there.
// What both apps' tests use (cleanup, waits, logs, processes, metrics) is in
// apps/common/test/support.
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';

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
 * A UDP socket bound on 127.0.0.1 that hands each datagram to `onMessage` (by default drops it),
 * closed through `defer` (see `cleanupAfterEach`), also when the test fails.
 */
export async function boundUdpSocket(
  defer: (stop: () => Promise<void>) => void,
  onMessage: (message: Buffer) => void = () => undefined,
): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', onMessage);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  defer(
    () =>
      new Promise<void>((resolve) =>
        socket.close(() => {
          resolve();
        }),
      ),
  );
  return socket;
}
