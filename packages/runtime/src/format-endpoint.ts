/**
 * Printing endpoints for logs and stats: `1.2.3.4:5000`, `[::1]:5000` (IPv4-mapped IPv6 addresses
 * are already IPv4 endpoints in `@bond/io`, so they print as IPv4).
 */
import type { Endpoint } from '@bond/io';

export function formatEndpoint(endpoint: Endpoint): string {
  return formatHostPort(endpoint.address, endpoint.port);
}

export function formatHostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
