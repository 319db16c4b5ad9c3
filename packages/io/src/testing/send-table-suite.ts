/**
 * What a native binding must do with a send table it cannot send as written: throw, and send
 * nothing of that batch. One vitest suite run against each native addon's raw binding (the
 * `NativeBinding` interface, below the `BatchSocket` that never writes such rows).
 *
 * Loopback only; every handle a test opens is closed after it, also when it fails.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { Counter, COUNTER_COUNT } from '../counters.js';
import type { NativeBinding, NativeHandle } from '../native-binding.js';
import {
  META_ADDRESS,
  META_FAMILY,
  META_LENGTH,
  META_OFFSET,
  META_PORT,
  META_STRIDE,
} from '../receive-batch.js';
import { waitFor } from './wait-for.js';

export interface SendTableSuiteOptions {
  /** Shown in the suite's title. */
  title: string;
  /** The binding under test (called once per test). */
  binding: () => NativeBinding;
  /** Set to a reason to skip the whole suite (for example "addon not built"). */
  skip?: string | undefined;
}

/** 4096: room for the rows below and one byte past them for the "past the slab" case. */
const SEND_SLAB_BYTES = 4096;
/** 4: rows in the send table. */
const SEND_ROWS = 4;
/** 0x7f000001: 127.0.0.1 as an address word. */
const LOOPBACK = 0x7f000001;

interface RawSocket {
  handle: NativeHandle;
  sendSlab: Uint8Array;
  sendMeta: Uint32Array;
  counters: Float64Array;
}

/** A row's fields; `family` 4 with the loopback address unless set. */
interface Row {
  offset: number;
  length: number;
  family?: number;
  port: number;
}

function writeRow(socket: RawSocket, index: number, row: Row): void {
  const base = index * META_STRIDE;
  socket.sendMeta[base + META_OFFSET] = row.offset;
  socket.sendMeta[base + META_LENGTH] = row.length;
  socket.sendMeta[base + META_FAMILY] = row.family ?? 4;
  socket.sendMeta[base + META_PORT] = row.port;
  socket.sendMeta.fill(0, base + META_ADDRESS, base + META_STRIDE);
  socket.sendMeta[base + META_ADDRESS] = LOOPBACK;
}

/** What `call` throws, or undefined when it returns. */
function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Runs the send-table suite. Call at the top level of a test file. */
export function runSendTableSuite(options: SendTableSuiteOptions): void {
  const title =
    options.skip === undefined ? options.title : `${options.title} (skipped: ${options.skip})`;
  const suite = options.skip === undefined ? describe : describe.skip;

  suite(`${title}: corrupt send rows`, () => {
    const handles: { binding: NativeBinding; handle: NativeHandle }[] = [];
    const receivers: Socket[] = [];
    afterEach(() => {
      for (const { binding, handle } of handles.splice(0)) binding.close(handle);
      for (const receiver of receivers.splice(0)) receiver.close();
    });

    function openRaw(binding: NativeBinding): RawSocket {
      const socket = {
        sendSlab: new Uint8Array(SEND_SLAB_BYTES),
        sendMeta: new Uint32Array(SEND_ROWS * META_STRIDE),
        counters: new Float64Array(COUNTER_COUNT),
      };
      const handle = binding.open(
        4,
        '127.0.0.1',
        0,
        false,
        0,
        0,
        new Uint8Array(2048),
        new Uint32Array(META_STRIDE),
        1,
        2048,
        socket.sendSlab,
        socket.sendMeta,
        socket.counters,
        () => undefined,
      );
      handles.push({ binding, handle });
      return { handle, ...socket };
    }

    /** A dgram receiver on 127.0.0.1 and the first bytes of each datagram it gets, in order. */
    async function listen(): Promise<{ port: number; firstBytes: number[] }> {
      const receiver = createSocket('udp4');
      receivers.push(receiver);
      const firstBytes: number[] = [];
      receiver.on('message', (message) => firstBytes.push(message[0] ?? -1));
      await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
      return { port: receiver.address().port, firstBytes };
    }

    const cases: { name: string; row: (port: number) => Row; reason: RegExp }[] = [
      {
        name: 'bytes that end past the send slab',
        row: (port) => ({ offset: SEND_SLAB_BYTES - 10, length: 11, port }),
        reason: /its bytes end past the send slab/,
      },
      {
        name: 'an offset past the send slab',
        row: (port) => ({ offset: 0xffffffff, length: 1, port }),
        reason: /its bytes end past the send slab/,
      },
      {
        name: 'a family that is neither 0, 4 nor 6',
        row: (port) => ({ offset: 100, length: 10, family: 5, port }),
        reason: /its family is not 0, 4 or 6/,
      },
      {
        name: 'an IPv6 destination on an IPv4 socket',
        row: (port) => ({ offset: 100, length: 10, family: 6, port }),
        reason: /IPv6 destination on an IPv4 socket/,
      },
      {
        name: 'port 0',
        row: () => ({ offset: 100, length: 10, port: 0 }),
        reason: /its port is not 1\.\.65535/,
      },
      {
        name: 'a port above 65535',
        row: (port) => ({ offset: 100, length: 10, port: port + 65536 }),
        reason: /its port is not 1\.\.65535/,
      },
    ];

    for (const { name, row, reason } of cases) {
      it(`a row with ${name} throws BOND_ERR_IO_ARGUMENT and sends none of the batch`, async () => {
        const binding = options.binding();
        const { port, firstBytes } = await listen();
        const socket = openRaw(binding);
        socket.sendSlab.fill(1, 0, 10);
        writeRow(socket, 0, { offset: 0, length: 10, port });
        writeRow(socket, 1, row(port));
        const thrown = thrownBy(() => binding.send(socket.handle, 2));
        expect(thrown).toBeInstanceOf(RangeError);
        expect(thrown).toMatchObject({ code: 'BOND_ERR_IO_ARGUMENT' });
        expect((thrown as Error).message).toMatch(/send row 1 \(.*\) is corrupt/);
        expect((thrown as Error).message).toMatch(reason);
        expect(socket.counters[Counter.sendCalls]).toBe(0);
        expect(socket.counters[Counter.datagramsSent]).toBe(0);
        expect(socket.counters[Counter.sendBatches]).toBe(0);

        // The socket stays usable, and the valid row 0 was not sent before the throw: the first
        // datagram to arrive is this marker.
        socket.sendSlab.fill(2, 0, 10);
        expect(binding.send(socket.handle, 1)).toBe(1);
        await waitFor(() => firstBytes.length >= 1, 'the marker datagram');
        expect(firstBytes).toEqual([2]);
      });
    }

    it('a count beyond the send table throws BOND_ERR_IO_ARGUMENT', () => {
      const binding = options.binding();
      const socket = openRaw(binding);
      const thrown = thrownBy(() => binding.send(socket.handle, SEND_ROWS + 1));
      expect(thrown).toMatchObject({ code: 'BOND_ERR_IO_ARGUMENT' });
      expect((thrown as Error).message).toMatch(/count 5 is more than the 4 rows/);
      expect(socket.counters[Counter.sendCalls]).toBe(0);
    });

    it('a call without a handle throws BOND_ERR_IO_ARGUMENT instead of returning', () => {
      const binding = options.binding();
      expect(thrownBy(() => binding.send({}, 1))).toMatchObject({ code: 'BOND_ERR_IO_ARGUMENT' });
      const socket = openRaw(binding);
      // An addon's send() called as JavaScript may call it: with a missing count.
      const send = binding.send.bind(binding) as (...args: unknown[]) => unknown;
      const thrown = thrownBy(() => send(socket.handle));
      expect(thrown).toMatchObject({ code: 'BOND_ERR_IO_ARGUMENT' });
      expect((thrown as Error).message).toMatch(/send\(handle, count\): takes 2 arguments, got 1/);
    });
  });
}
