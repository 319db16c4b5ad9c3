/**
 * Errors the runtime throws on purpose, one class per condition, each with a stable `code`.
 * Socket errors keep their `@bond/io` classes (`BindError`, `SendError`, ...).
 */
import { BondError } from '@bond/wire';

/** A `createReceiver` option is invalid; the message names it and what is allowed. */
export class RuntimeOptionError extends BondError {
  static readonly code = 'BOND_ERR_RUNTIME_OPTION';
  constructor(message: string) {
    super(RuntimeOptionError.code, message);
  }
}

/** The SRT listener's host name did not resolve to an address. */
export class UpstreamResolveError extends BondError {
  static readonly code = 'BOND_ERR_UPSTREAM_RESOLVE';
  readonly host: string;
  constructor(host: string, options?: ErrorOptions) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(
      UpstreamResolveError.code,
      `cannot resolve SRT listener host "${host}"${reason} (check the name, or pass an IPv4/IPv6 address)`,
      options,
    );
    this.host = host;
  }
}

/** The SRTLA receiver's host name did not resolve to an address the sender's links can reach. */
export class ReceiverResolveError extends BondError {
  static readonly code = 'BOND_ERR_RECEIVER_RESOLVE';
  readonly host: string;
  constructor(host: string, options?: ErrorOptions) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(
      ReceiverResolveError.code,
      `cannot resolve SRTLA receiver host "${host}"${reason} (check the name, or pass an IPv4/IPv6 address)`,
      options,
    );
    this.host = host;
  }
}

/** A sender call named a link id the sender does not have. */
export class UnknownLinkError extends BondError {
  static readonly code = 'BOND_ERR_UNKNOWN_LINK';
  readonly linkId: number;
  constructor(linkId: number) {
    super(
      UnknownLinkError.code,
      `no link with id ${linkId} (see sender.stats().links for the ids in use)`,
    );
    this.linkId = linkId;
  }
}

/** A sender call came after `close()`. */
export class SenderClosedError extends BondError {
  static readonly code = 'BOND_ERR_SENDER_CLOSED';
  constructor(operation: string) {
    super(SenderClosedError.code, `cannot ${operation}: the sender is closed (create a new one)`);
  }
}

/**
 * This platform's native IO package is not installed (a package manager skips an optional
 * dependency it cannot install, or one installed with `--no-optional`); the runtime uses `dgram`.
 */
export class NativePackageMissingError extends BondError {
  static readonly code = 'BOND_ERR_NATIVE_PACKAGE_MISSING';
  /** The package that did not import, for example `@bond/io-linux`. */
  readonly packageName: string;
  constructor(packageName: string, options?: ErrorOptions) {
    super(
      NativePackageMissingError.code,
      `package ${packageName} is not installed (install it to use the native IO backend)`,
      options,
    );
    this.packageName = packageName;
  }
}
