/**
 * The errors `@bond/io` throws or reports, one class per condition, each with a stable `code`.
 *
 * Errors from the operating system keep its name (`errno`, for example `"EADDRINUSE"`) and the call
 * that failed (`syscall`), whichever backend met them.
 */
import { BondError } from '@bond/wire';

/** A caller passed something the socket cannot use: fix the call, retrying will not help. */
export class IoArgumentError extends BondError {
  static readonly code = 'BOND_ERR_IO_ARGUMENT';
  constructor(message: string) {
    super(IoArgumentError.code, `${message} (fix the argument; see @bond/io's OpenOptions)`);
  }
}

/** Shared shape of the errors that carry an operating-system error name. */
abstract class IoSystemError extends BondError {
  /** The operating system's error name, for example `"EADDRINUSE"`, or `"UNKNOWN"`. */
  readonly errno: string;
  /** The call that failed, for example `"bind"`. */
  readonly syscall: string;

  constructor(
    code: string,
    errno: string,
    syscall: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
    this.errno = errno;
    this.syscall = syscall;
  }
}

/** The socket could not be created, bound or connected to the requested address. */
export class BindError extends IoSystemError {
  static readonly code = 'BOND_ERR_IO_BIND';
  /** The local address and port that were asked for. */
  readonly address: string;
  readonly port: number;

  constructor(
    errno: string,
    syscall: string,
    address: string,
    port: number,
    options?: ErrorOptions,
  ) {
    super(
      BindError.code,
      errno,
      syscall,
      `cannot ${syscall} UDP socket on ${formatHostPort(address, port)}: ${errno}` +
        (errno === 'EADDRINUSE'
          ? ' (another socket holds this address and port: pick another port or close it)'
          : errno === 'EADDRNOTAVAIL'
            ? ' (the address is not configured on this host: check the uplink address)'
            : ' (check the address, port and permissions)'),
      options,
    );
    this.address = address;
    this.port = port;
  }
}

/** A datagram could not be sent; the socket stays usable and later sends may succeed. */
export class SendError extends IoSystemError {
  static readonly code = 'BOND_ERR_IO_SEND';
  constructor(errno: string, options?: ErrorOptions) {
    super(
      SendError.code,
      errno,
      'send',
      `UDP send failed: ${errno}` +
        (errno === 'ECONNREFUSED'
          ? ' (nothing listens at the connected address: the peer is down or the port is wrong)'
          : ' (the datagram was dropped; the socket stays open)'),
      options,
    );
  }
}

/** Receiving failed for a reason other than "no more data"; the socket stays open. */
export class ReceiveError extends IoSystemError {
  static readonly code = 'BOND_ERR_IO_RECEIVE';
  constructor(errno: string, options?: ErrorOptions) {
    super(
      ReceiveError.code,
      errno,
      'recv',
      `UDP receive failed: ${errno}` +
        (errno === 'ECONNREFUSED'
          ? ' (an earlier datagram to the connected address was refused: the peer is down)'
          : ' (the socket stays open)'),
      options,
    );
  }
}

/** A socket option (buffer size) could not be applied. */
export class SocketOptionError extends IoSystemError {
  static readonly code = 'BOND_ERR_IO_SOCKET_OPTION';
  constructor(errno: string, option: string, options?: ErrorOptions) {
    super(
      SocketOptionError.code,
      errno,
      'setsockopt',
      `cannot set ${option}: ${errno} (use a smaller value or raise the system limit)`,
      options,
    );
  }
}

/** The socket was used after `close()` was called. */
export class SocketClosedError extends BondError {
  static readonly code = 'BOND_ERR_IO_CLOSED';
  constructor(operation: string) {
    super(
      SocketClosedError.code,
      `cannot ${operation}: the socket is closed (open a new socket instead)`,
    );
  }
}

/** A native backend was required (`native`) but could not be loaded; `cause` says why. */
export class NativeBackendUnavailableError extends BondError {
  static readonly code = 'BOND_ERR_IO_NATIVE_UNAVAILABLE';
  constructor(what: string, options?: ErrorOptions) {
    super(
      NativeBackendUnavailableError.code,
      `native IO backend unavailable: ${what} (build it with a C compiler present, or use BOND_IO_BACKEND=dgram)`,
      options,
    );
  }
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatHostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
