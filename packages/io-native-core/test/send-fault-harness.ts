/**
 * Drives an addon's send loop under send conditions loopback cannot produce (a full kernel send
 * queue, a path that cannot segment), for both addons' tests: send-burst.mjs runs the addon in a
 * child process whose sendmmsg / sendmsg are wrapped by send-fault.c (LD_PRELOAD), and a receiver
 * here on 127.0.0.1 sees what really left. Linux only (LD_PRELOAD, the glibc calls it wraps).
 *
 * Imports only node: modules, so it resolves from this folder for either package's tests.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';
import { promisify } from 'node:util';

const here = import.meta.dirname;
const run = promisify(execFile);

/** Compiles send-fault.c into `dir` with `$CC` (default `cc`); returns the library's path. */
export function compileSendFault(dir: string): string {
  const library = join(dir, 'send-fault.so');
  execFileSync(process.env.CC ?? 'cc', [
    '-shared',
    '-fPIC',
    '-O1',
    '-o',
    library,
    join(here, 'send-fault.c'),
    '-ldl',
  ]);
  return library;
}

export interface SendBurstOptions {
  /** The `.node` file to load. */
  addonPath: string;
  /** send-fault.c's BOND_TEST_SEND mode: `queue-full:N`, `no-segmentation` or `''` (none). */
  fault: string;
  /** The library compileSendFault made. */
  library: string;
  /** Where the receiver listens on 127.0.0.1. */
  port: number;
  /** Datagram i is `lengths[i]` bytes, every byte i % 256; all go in one send table. */
  lengths: readonly number[];
  /** @bond/io's COUNTER_COUNT and META_STRIDE. */
  counterCount: number;
  metaStride: number;
  /** Connect to the port and send to the connected peer. */
  connect?: boolean;
  /** Call the binding's usePlain(handle) first (Apple addon). */
  plain?: boolean;
}

export interface SendBurst {
  /** What send() returned. */
  returned: number;
  /** binding.gso(handle) before and after send(); null for a binding without it. */
  gsoBefore: boolean | null;
  gsoAfter: boolean | null;
  /** binding.batched(handle); null for a binding without it. */
  batched: boolean | null;
  /** The socket's counters after send(), in @bond/io's Counter order. */
  counters: number[];
}

/** Runs one send() in a child process under `options.fault`. */
export async function runSendBurst(options: SendBurstOptions): Promise<SendBurst> {
  const { fault, library, ...input } = options;
  const { stdout } = await run(
    process.execPath,
    [join(here, 'send-burst.mjs'), JSON.stringify(input)],
    { env: { ...process.env, LD_PRELOAD: library, BOND_TEST_SEND: fault }, timeout: 10000 },
  );
  return JSON.parse(stdout) as SendBurst;
}

export interface LoopbackReceiver {
  socket: Socket;
  port: number;
  /** The first byte of each datagram received, in order. */
  firstBytes: number[];
}

/** A node:dgram receiver on 127.0.0.1 with a 4 MiB buffer; the caller closes `socket`. */
export async function listenOnLoopback(): Promise<LoopbackReceiver> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 1 << 22 });
  const firstBytes: number[] = [];
  socket.on('message', (message) => firstBytes.push(message[0] ?? -1));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port, firstBytes };
}
