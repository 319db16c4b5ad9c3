// createReceiver and createSender, with this platform's native package failing to load, start on
// dgram and log one warning saying why and what to do; asking for dgram logs none.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { boundUdpSocket } from '@bond/io/testing';
import { createReceiver, createSender, type RuntimeLogger } from '../src/index.js';

// Both native packages stand in as failing to load (whichever this platform imports).
vi.mock('@bond/io-linux', () => ({
  loadNativeBackend: () => ({
    backend: undefined,
    loadError: new Error('stand-in: addon did not load'),
  }),
}));
vi.mock('@bond/io-apple', () => ({
  loadNativeBackend: () => ({
    backend: undefined,
    loadError: new Error('stand-in: addon did not load'),
  }),
}));

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  for (const close of cleanup.splice(0).reverse()) await close();
});

/**
 * A logger that keeps the backend warnings (a capped receive buffer, which depends on this
 * machine's net.core.rmem_max, has its own test in receive-buffer.test.ts).
 */
function warnings(): RuntimeLogger & { readonly warned: [string, unknown][] } {
  const warned: [string, unknown][] = [];
  const keep = (message: string, fields: unknown) => {
    if (!message.includes('receive buffer')) warned.push([message, fields]);
  };
  const ignore = () => undefined;
  return {
    warned,
    debug: ignore,
    info: ignore,
    error: ignore,
    warn: keep,
  };
}

/** A UDP port on 127.0.0.1 for the receiver to point at (nothing needs to answer). */
async function listenerPort(): Promise<number> {
  const socket = await boundUdpSocket((close) => cleanup.push(close));
  return socket.address().port;
}

describe.skipIf(process.platform !== 'linux' && process.platform !== 'darwin')(
  'dgram fallback warning (Linux and macOS, which have a native package)',
  () => {
    it('the receiver warns once at start, with the reason and the fix', async () => {
      vi.stubEnv('BOND_IO_BACKEND', '');
      const logger = warnings();
      const receiver = await createReceiver({
        address: '127.0.0.1',
        port: 0,
        upstream: { host: '127.0.0.1', port: await listenerPort() },
        logger,
      });
      cleanup.push(() => receiver.close());
      expect(receiver.backend).toBe('dgram');
      expect(logger.warned).toHaveLength(1);
      expect(logger.warned[0]?.[0]).toMatch(/native IO backend unavailable: using dgram/);
      expect(logger.warned[0]?.[1]).toMatchObject({
        reason: 'stand-in: addon did not load',
        fix: expect.stringContaining('BOND_IO_BACKEND=dgram') as unknown,
      });
    });

    it('the sender warns once at start; with BOND_IO_BACKEND=dgram neither warns', async () => {
      vi.stubEnv('BOND_IO_BACKEND', '');
      const logger = warnings();
      const receiverPort = await listenerPort();
      const sender = await createSender({
        listen: { address: '127.0.0.1', port: 0 },
        receiver: { host: '127.0.0.1', port: receiverPort },
        links: [],
        logger,
      });
      cleanup.push(() => sender.close());
      expect(sender.backend).toBe('dgram');
      expect(logger.warned).toHaveLength(1);

      vi.stubEnv('BOND_IO_BACKEND', 'dgram');
      const quiet = warnings();
      const chosen = await createSender({
        listen: { address: '127.0.0.1', port: 0 },
        receiver: { host: '127.0.0.1', port: receiverPort },
        links: [],
        logger: quiet,
      });
      cleanup.push(() => chosen.close());
      const receiver = await createReceiver({
        address: '127.0.0.1',
        port: 0,
        upstream: { host: '127.0.0.1', port: receiverPort },
        logger: quiet,
      });
      cleanup.push(() => receiver.close());
      expect(quiet.warned).toEqual([]);
    });
  },
);
