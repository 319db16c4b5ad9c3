/**
 * Endpoints: `@bond/io` names every local and remote end with `@bond/wire`'s {@link Address} (IP
 * and port as numeric words, parsed once). Backends compare and send by the words, never by
 * building strings per datagram. An IPv4-mapped IPv6 address is the IPv4 address: a dual-stack
 * socket reports IPv4 peers as IPv4, and sends to IPv4 addresses through the mapping.
 */
import { Address } from '@bond/wire';
import { IoArgumentError } from './errors.js';

/**
 * Parses `ip` (an IPv4 or IPv6 literal: no host names, no zone) and `port` into an {@link Address}.
 * Throws `IoArgumentError` for anything else; `Address.parse` is the form that returns undefined.
 */
export function createEndpoint(ip: string, port: number): Address {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new IoArgumentError(`port must be an integer 0..65535, got ${String(port)}`);
  }
  const address = Address.parse(ip, port);
  if (address === undefined) {
    throw new IoArgumentError(`"${ip}" is not an IPv4 or IPv6 address literal`);
  }
  return address;
}
