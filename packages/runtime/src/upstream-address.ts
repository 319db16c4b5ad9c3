/**
 * The SRT listener's address: a host name or IP literal resolved once into an `@bond/io` endpoint
 * (IPv4 or IPv6, whichever the resolver lists first).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { createEndpoint, type Address } from '@bond/io';
import { RuntimeOptionError, UpstreamResolveError } from './errors.js';

/** Resolves `host` (`name`, `1.2.3.4`, `::1` or `[::1]`) and `port` to an endpoint. */
export async function resolveUpstream(host: string, port: number): Promise<Address> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RuntimeOptionError(`SRT listener port must be 1..65535, got ${String(port)}`);
  }
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === '') throw new RuntimeOptionError('SRT listener host must not be empty');
  if (isIP(bare) !== 0) return createEndpoint(bare, port);
  let address: string;
  try {
    address = (await lookup(bare, { verbatim: true })).address;
  } catch (error) {
    throw new UpstreamResolveError(bare, { cause: error });
  }
  return createEndpoint(address, port);
}
