/**
 * Whether the kernel gave the listening socket the receive buffer the runtime asked for. The
 * buffer is what absorbs a burst while the process is busy (a cold start compiling the hot path, a
 * garbage collection); the kernel silently caps `SO_RCVBUF` at `net.core.rmem_max` (Linux, often
 * 208 KiB) or `kern.ipc.maxsockbuf` (macOS). The native Linux backend asks with `SO_RCVBUFFORCE`
 * first, which passes the cap with CAP_NET_ADMIN; `dgram` cannot. A capped buffer is logged once,
 * at start, with the setting to raise.
 */
import type { BufferSizes } from '@bond/io';
import type { RuntimeLogger } from './logger.js';

export interface ReceiveBufferCheck {
  /** Bytes asked for. */
  readonly requested: number;
  /** Bytes of data the buffer holds, as far as the kernel reports it (Linux reports twice that). */
  readonly applied: number;
  /** Whether the kernel gave less than was asked for. */
  readonly capped: boolean;
}

/**
 * Compares what was asked for with what `bufferSizes()` reports. Linux doubles the request for its
 * own bookkeeping and reports the doubled figure, so a full request reads as `2 * requested` there.
 */
export function checkReceiveBuffer(
  requested: number,
  sizes: BufferSizes,
  platform: NodeJS.Platform = process.platform,
): ReceiveBufferCheck {
  const applied = platform === 'linux' ? Math.floor(sizes.receive / 2) : sizes.receive;
  return { requested, applied, capped: applied < requested };
}

/** The advice for a capped buffer: which setting, and the command that raises it. */
export function receiveBufferAdvice(
  requested: number,
  platform: NodeJS.Platform = process.platform,
): string {
  if (platform === 'linux') {
    return (
      `raise net.core.rmem_max: sysctl -w net.core.rmem_max=${requested} (and put ` +
      `net.core.rmem_max=${requested} in /etc/sysctl.d/ to keep it), or run with CAP_NET_ADMIN ` +
      'and the native IO backend'
    );
  }
  if (platform === 'darwin') {
    return `raise kern.ipc.maxsockbuf: sudo sysctl -w kern.ipc.maxsockbuf=${requested * 2}`;
  }
  return 'raise the system limit on socket receive buffers';
}

const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;

/**
 * Checks the socket's receive buffer and logs one warning when the kernel capped it. Never throws:
 * a socket that cannot report its sizes is not checked.
 */
export function warnOnCappedReceiveBuffer(
  socket: { bufferSizes(): BufferSizes },
  requested: number,
  what: string,
  logger: RuntimeLogger,
): ReceiveBufferCheck | undefined {
  let sizes: BufferSizes;
  try {
    sizes = socket.bufferSizes();
  } catch {
    return undefined;
  }
  const check = checkReceiveBuffer(requested, sizes);
  if (check.capped) {
    logger.warn(
      `the kernel capped the ${what} receive buffer at ${kib(check.applied)} of the ` +
        `${kib(requested)} asked for: a burst of packets may be dropped; ` +
        receiveBufferAdvice(requested),
      { requestedBytes: requested, appliedBytes: check.applied },
    );
  }
  return check;
}
