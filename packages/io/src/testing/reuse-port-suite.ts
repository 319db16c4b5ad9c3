/**
 * What a native backend must do with `OpenOptions.reusePort` (SO_REUSEPORT): two sockets share one
 * port only when both ask, and (on Linux) the kernel spreads datagrams from many sources over them.
 * Not for `dgram`, which shares through `node:cluster` instead.
 */
import { createSocket } from 'node:dgram';
import { expect, it } from 'vitest';
import { BindError } from '../errors.js';
import { createReceiveBatch } from '../receive-batch.js';
import type { BatchSocket, IoBackend } from '../socket.js';
import { waitFor } from './wait-for.js';

/** Registers the reusePort test for `backend` (call inside a `describe`). */
export function runReusePortSuite(backend: () => IoBackend): void {
  it('binds a second socket to the same port only with reusePort on both', async () => {
    const io = backend();
    const counts = [0, 0];
    const sockets: BatchSocket[] = [];
    try {
      const open = (which: number, reusePort: boolean) =>
        io.open({
          address: '127.0.0.1',
          port: sockets[0]?.local.port ?? 0,
          reusePort,
          batch: createReceiveBatch({ maxBatch: 8, slotSize: 256 }),
          onBatch: (_batch, count) => {
            counts[which] = (counts[which] ?? 0) + count;
          },
        });
      sockets.push(await open(0, true));
      await expect(open(1, false)).rejects.toThrow(BindError);
      sockets.push(await open(1, true));
      expect(sockets[1]?.local.port).toBe(sockets[0]?.local.port);
      const port = sockets[0]?.local.port ?? 0;
      // 32 sources: the kernel hashes each to one socket; all on one has odds 2^-31.
      const senders = await Promise.all(
        Array.from({ length: 32 }, async () => {
          const sender = createSocket('udp4');
          await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', resolve));
          return sender;
        }),
      );
      try {
        for (const sender of senders) sender.send(Buffer.from('x'), port, '127.0.0.1');
        await waitFor(
          () => (counts[0] ?? 0) + (counts[1] ?? 0) === 32,
          () => `32 datagrams, got ${counts.join('+')}`,
        );
        if (process.platform === 'linux') {
          expect(counts[0]).toBeGreaterThan(0);
          expect(counts[1]).toBeGreaterThan(0);
        }
      } finally {
        await Promise.all(
          senders.map(
            (sender) =>
              new Promise<void>((resolve) =>
                sender.close(() => {
                  resolve();
                }),
              ),
          ),
        );
      }
    } finally {
      await Promise.all(sockets.map((socket) => socket.close()));
    }
  });
}
