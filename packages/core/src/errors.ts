/**
 * Errors core throws on purpose: only for bad configuration from the caller. Malformed datagrams
 * are never errors here; they are counted and dropped.
 */
import { BondError } from '@bond/wire';

/** An option or call argument is invalid; the message says which and what is allowed. */
export class InvalidConfigError extends BondError {
  static readonly code = 'BOND_ERR_INVALID_CONFIG';
  constructor(message: string) {
    super(InvalidConfigError.code, message);
  }
}
