// The listening socket's receive buffer: what the kernel applied against what was asked, and one
// warning at start, with the setting to raise, when the kernel capped it.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { boundUdpSocket } from '@bond/io/testing';
import {
  checkReceiveBuffer,
  createReceiver,
  createSender,
  receiveBufferAdvice,
  type RuntimeLogger,
} from '../src/index.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  for (const close of cleanup.splice(0).reverse()) await close();
});

describe('checkReceiveBuffer', () => {
  it('reads Linux’s doubled figure: a full request is not capped, a smaller one is', () => {
    expect(checkReceiveBuffer(4 << 20, { receive: 8 << 20, send: 0 }, 'linux')).toEqual({
      requested: 4 << 20,
      applied: 4 << 20,
      capped: false,
    });
    // rmem_max 208 KiB: Linux applies 2 * 212992.
    expect(checkReceiveBuffer(4 << 20, { receive: 425984, send: 0 }, 'linux')).toEqual({
      requested: 4 << 20,
      applied: 212992,
      capped: true,
    });
  });

  it('takes macOS’s figure as it is', () => {
    expect(checkReceiveBuffer(4 << 20, { receive: 4 << 20, send: 0 }, 'darwin').capped).toBe(false);
    expect(checkReceiveBuffer(4 << 20, { receive: 2 << 20, send: 0 }, 'darwin').capped).toBe(true);
  });

  it('names the setting and the command for each system', () => {
    expect(receiveBufferAdvice(4194304, 'linux')).toContain('sysctl -w net.core.rmem_max=4194304');
    expect(receiveBufferAdvice(4194304, 'darwin')).toContain('kern.ipc.maxsockbuf');
  });
});

function collect(): RuntimeLogger & { readonly warned: [string, Record<string, unknown>][] } {
  const warned: [string, Record<string, unknown>][] = [];
  const ignore = () => undefined;
  return {
    warned,
    debug: ignore,
    info: ignore,
    error: ignore,
    warn: (message, fields) => warned.push([message, fields ?? {}]),
  };
}

async function quietPort(): Promise<number> {
  const socket = await boundUdpSocket((close) => cleanup.push(close));
  return socket.address().port;
}

describe.skipIf(process.platform !== 'linux')('the capped-buffer warning (Linux)', () => {
  const rmemMax = () => Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim());

  it('dgram cannot pass rmem_max: the receiver and the sender each say so once, with the sysctl', async () => {
    vi.stubEnv('BOND_IO_BACKEND', 'dgram');
    const requested = rmemMax() * 4;
    const logger = collect();
    const receiver = await createReceiver({
      address: '127.0.0.1',
      port: 0,
      upstream: { host: '127.0.0.1', port: await quietPort() },
      receiveBufferSize: requested,
      logger,
    });
    cleanup.push(() => receiver.close());
    const sender = await createSender({
      listen: { address: '127.0.0.1', port: 0 },
      receiver: { host: '127.0.0.1', port: await quietPort() },
      links: [],
      receiveBufferSize: requested,
      logger,
    });
    cleanup.push(() => sender.close());
    const capped = logger.warned.filter(([message]) => message.includes('receive buffer'));
    expect(capped).toHaveLength(2);
    expect(capped[0]?.[0]).toContain('SRTLA listening socket');
    expect(capped[1]?.[0]).toContain('encoder socket');
    for (const [message, fields] of capped) {
      expect(message).toContain(`sysctl -w net.core.rmem_max=${requested}`);
      expect(fields).toEqual({ requestedBytes: requested, appliedBytes: rmemMax() });
    }
  });

  it('a request within rmem_max is not warned about', async () => {
    vi.stubEnv('BOND_IO_BACKEND', 'dgram');
    const logger = collect();
    const receiver = await createReceiver({
      address: '127.0.0.1',
      port: 0,
      upstream: { host: '127.0.0.1', port: await quietPort() },
      receiveBufferSize: Math.min(rmemMax(), 1 << 20),
      logger,
    });
    cleanup.push(() => receiver.close());
    expect(logger.warned.filter(([message]) => message.includes('receive buffer'))).toEqual([]);
  });
});
