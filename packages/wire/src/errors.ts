/**
 * bond's error base class and the one error decoding can throw.
 *
 * Every bond error carries a stable `code` (`BOND_ERR_*`) that callers may switch on; messages may
 * change between versions, codes do not.
 */

/** Base class of every error bond throws on purpose. */
export class BondError extends Error {
  /** Stable machine-readable code, `BOND_ERR_*`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A datagram could not be decoded as the message it was asked to be decoded as.
 *
 * Thrown only by `decode*` functions; they never throw anything else and never read out of bounds.
 * A receiver or sender that meets one drops the datagram (counting it) and carries on.
 */
export class WireDecodeError extends BondError {
  static readonly code = 'BOND_ERR_WIRE_DECODE';
  /** What was being decoded, for example `"SRT NAK"`. */
  readonly what: string;
  /** Byte offset in the datagram where decoding failed. */
  readonly offset: number;
  /** Why, in a few words, for example `"range start without end"`. */
  readonly reason: string;

  constructor(what: string, offset: number, reason: string, options?: ErrorOptions) {
    super(
      WireDecodeError.code,
      `malformed ${what} at byte ${offset}: ${reason} (the datagram should be dropped)`,
      options,
    );
    this.what = what;
    this.offset = offset;
    this.reason = reason;
  }
}
