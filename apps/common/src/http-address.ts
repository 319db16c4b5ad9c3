/**
 * `--http ADDR:PORT`: where an app's read-only HTTP server listens. `PORT` alone for this machine
 * only (127.0.0.1), `ADDR:PORT`, `[IPV6]:PORT`, or `:PORT` for every address (IPv4 and IPv6).
 */
import { isIP } from 'node:net';
import { BondError } from '@bond/wire';

export interface HttpAddress {
  /** An IP address or host name; `::` for every address. */
  readonly host: string;
  /** 0 lets the system choose (tests); the command line takes 1..65535. */
  readonly port: number;
}

/** An `--http` value is not an address to listen on; the message says what is accepted. */
export class HttpAddressError extends BondError {
  static readonly code = 'BOND_ERR_HTTP_ADDRESS';
  constructor(message: string) {
    super(HttpAddressError.code, message);
  }
}

/** What {@link parseHttpAddress} accepts, for help texts and messages. */
export const HTTP_ADDRESS_FORMS =
  'PORT (this machine only), ADDR:PORT, [IPV6]:PORT or :PORT (every address), for example 8080 or 127.0.0.1:8080';

/** Where a bare `PORT` listens: this machine only. */
export const HTTP_DEFAULT_HOST = '127.0.0.1';

// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens.
const HOST_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/i;

/**
 * Parses an `--http` value (`name` is the setting's name, for messages). Throws
 * {@link HttpAddressError} for anything else, naming the value and the accepted forms.
 */
export function parseHttpAddress(raw: string, name = 'http'): HttpAddress {
  if (/^\s*\d+\s*$/.test(raw)) {
    return { host: HTTP_DEFAULT_HOST, port: checkedPort(name, raw.trim(), raw) };
  }
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/.exec(raw.trim());
  if (match === null) {
    throw new HttpAddressError(`${name} must be ${HTTP_ADDRESS_FORMS}, got "${raw}"`);
  }
  const bracketed = match[1];
  const host = bracketed ?? match[2] ?? '';
  if (bracketed !== undefined && isIP(bracketed) !== 6) {
    throw new HttpAddressError(
      `${name}: "[${bracketed}]" is not an IPv6 address (brackets are for IPv6 only), got "${raw}"`,
    );
  }
  if (bracketed === undefined && host !== '' && isIP(host) === 0 && !HOST_NAME.test(host)) {
    throw new HttpAddressError(
      `${name}: "${host}" is neither an IP address nor a host name; use ${HTTP_ADDRESS_FORMS}`,
    );
  }
  return { host: host === '' ? '::' : host, port: checkedPort(name, match[3] ?? '', raw) };
}

function checkedPort(name: string, portText: string, raw: string): number {
  const port = Number(portText);
  if (port < 1 || port > 65535) {
    throw new HttpAddressError(`${name} port must be 1..65535, got "${portText}" in "${raw}"`);
  }
  return port;
}

/**
 * Whether `host` is reachable from this machine only: `localhost`, 127.0.0.0/8, `::1` (or its
 * IPv4-mapped form). Every other address, `::` and `0.0.0.0` included, may be reachable from others.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  const v4 = bare.startsWith('::ffff:') ? bare.slice(7) : bare;
  return isIP(v4) === 4 && v4.startsWith('127.');
}
