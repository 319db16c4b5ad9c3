/**
 * Loopback UDP sockets for the stand's own endpoints (the built-in SRT pair, the path taps, test
 * stand-ins): bound on 127.0.0.1, closed without throwing twice.
 */
import { createSocket, type Socket } from 'node:dgram';

/** Binds `socket` on 127.0.0.1:`port` (0: a free port). Rejects with the bind error. */
export function bindLoopback(socket: Socket, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/** A UDP socket bound on 127.0.0.1:`port`; later socket errors are ignored (counted elsewhere). */
export async function openLoopback(
  port: number,
  buffers?: { readonly recvBufferSize: number; readonly sendBufferSize: number },
): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', ...buffers });
  await bindLoopback(socket, port);
  socket.on('error', () => undefined);
  return socket;
}

/** Closes `socket`; resolves once it is closed, or at once if it already was. */
export function closeQuietly(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => {
        resolve();
      });
    } catch {
      resolve(); // already closed
    }
  });
}
