// TCP ports on 127.0.0.1 for HTTP tests: one held open (a port in use), one free right now.
import { createServer, type Server } from 'node:net';

async function listenOnLoopback(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return { server, port: address.port };
}

function close(server: Server): Promise<void> {
  return new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
}

/** A TCP port on 127.0.0.1 that stays in use until the test's cleanup (`defer`) closes it. */
export async function takenTcpPort(defer: (stop: () => Promise<void>) => void): Promise<number> {
  const { server, port } = await listenOnLoopback();
  defer(() => close(server));
  return port;
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freeTcpPort(): Promise<number> {
  const { server, port } = await listenOnLoopback();
  await close(server);
  return port;
}
