/**
 * `createSender` options, their defaults and validation, and the SRTLA receiver's address.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { createEndpoint, type Address } from '@bond/io';
import type { InterfaceKind } from '@bond/wire';
import { ReceiverResolveError, RuntimeOptionError } from './errors.js';
import type { HostOptions } from './host-options.js';

/** The balancer: `adaptive` (bond's) or `classic` (the reference sender's, kept for comparison). */
export type SchedulerName = 'adaptive' | 'classic';

/** One uplink: a UDP socket bound to the uplink's own address. */
export interface SenderLinkOptions {
  /** The link's id (also its keepalive conn_id), 0..2^32-1. Default: the lowest unused from 1. */
  readonly id?: number;
  /** For logs and stats. Default: the bind address. */
  readonly name?: string;
  /** The uplink's local IP address (IPv4 or IPv6 literal); the socket binds it with port 0. */
  readonly bindAddress: string;
  /** Percent: 100 normal (default), 0 carries no data. */
  readonly priority?: number;
  /** What the uplink is, reported to bond receivers. Default `unspecified`. */
  readonly kind?: InterfaceKind;
}

export interface CreateSenderOptions extends HostOptions {
  /** Where the encoder (an SRT caller) sends: address default `127.0.0.1`; port 0 lets the system choose. */
  readonly listen: { readonly address?: string; readonly port: number };
  /** The SRTLA receiver: host name or IP literal, and port. */
  readonly receiver: { readonly host: string; readonly port: number };
  /** The uplinks. May be empty: add them later with `sender.addLink`. */
  readonly links: readonly SenderLinkOptions[];
  /** Default `adaptive`. */
  readonly scheduler?: SchedulerName;
  /** A link with no proof of life this long re-registers. Default 15000 ms (core's). */
  readonly linkTimeoutMs?: number;
  /** Keepalive period per up link. Default 1000 ms (core's). */
  readonly keepaliveIntervalMs?: number;
  /** Send bond's telemetry trailer in keepalives. Default true. */
  readonly telemetry?: boolean;
  /** First wait before reopening a failed link socket. Default 1000 ms, doubling to the max. */
  readonly linkRetryMs?: number;
  /** Longest wait between attempts to reopen a failed link socket. Default 30000 ms. */
  readonly linkRetryMaxMs?: number;
}

/** A link as the sender keeps it: every field settled. */
export interface SenderLinkConfig {
  readonly id: number;
  readonly name: string;
  readonly bindAddress: string;
  readonly priority: number;
  readonly kind: InterfaceKind;
}

const INTERFACE_KINDS: readonly InterfaceKind[] = [
  'unspecified',
  'cellular',
  'wifi',
  'ethernet',
  'other',
];

/** 2^32 - 1: link ids travel as the keepalive's u32 conn_id (protocol.md 5). */
const MAX_LINK_ID = 0xffff_ffff;

/** Validates what the engine does not validate itself; returns the scheduler name. */
export function checkSenderOptions(options: CreateSenderOptions): SchedulerName {
  const port = options.listen.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RuntimeOptionError(`listen.port must be 0..65535, got ${String(port)}`);
  }
  const address = options.listen.address;
  if (address !== undefined && isIP(address) === 0) {
    throw new RuntimeOptionError(
      `listen.address must be an IPv4 or IPv6 address, got ${JSON.stringify(address)}`,
    );
  }
  // Callers from plain JavaScript or parsed config may pass anything.
  const scheduler: unknown = options.scheduler ?? 'adaptive';
  if (scheduler !== 'adaptive' && scheduler !== 'classic') {
    throw new RuntimeOptionError(
      `scheduler must be "adaptive" or "classic", got ${JSON.stringify(scheduler)}`,
    );
  }
  if (!Array.isArray(options.links)) {
    throw new RuntimeOptionError('links must be an array (it may be empty)');
  }
  for (const [name, value] of [
    ['linkRetryMs', options.linkRetryMs],
    ['linkRetryMaxMs', options.linkRetryMaxMs],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new RuntimeOptionError(`${name} must be a positive number of ms, got ${String(value)}`);
    }
  }
  return scheduler;
}

/**
 * Settles one link's options: checks the bind address (an IP literal of `family`, the receiver's),
 * the id (given, or the lowest unused from 1), priority and kind.
 */
export function settleLink(
  link: SenderLinkOptions,
  family: 4 | 6,
  usedIds: ReadonlySet<number>,
): SenderLinkConfig {
  const bindFamily = isIP(link.bindAddress);
  if (bindFamily === 0) {
    throw new RuntimeOptionError(
      `link bindAddress must be the uplink's IPv4 or IPv6 address, got ${JSON.stringify(link.bindAddress)}`,
    );
  }
  if (bindFamily !== family) {
    throw new RuntimeOptionError(
      `link bindAddress ${link.bindAddress} is IPv${bindFamily} but the receiver address is IPv${family}: use an address of the receiver's family`,
    );
  }
  let id = link.id;
  if (id === undefined) {
    id = 1;
    while (usedIds.has(id)) id++;
  } else if (!Number.isInteger(id) || id < 0 || id > MAX_LINK_ID) {
    throw new RuntimeOptionError(`link id must be a whole number 0..${MAX_LINK_ID}, got ${id}`);
  } else if (usedIds.has(id)) {
    throw new RuntimeOptionError(`link id ${id} is already in use; remove that link first`);
  }
  const priority = link.priority ?? 100;
  if (!(Number.isFinite(priority) && priority >= 0)) {
    throw new RuntimeOptionError(
      `link priority must be a percentage >= 0, got ${String(priority)}`,
    );
  }
  const kind = link.kind ?? 'unspecified';
  if (!INTERFACE_KINDS.includes(kind)) {
    throw new RuntimeOptionError(
      `link kind must be one of ${INTERFACE_KINDS.join(', ')}, got ${JSON.stringify(kind)}`,
    );
  }
  return { id, name: link.name ?? link.bindAddress, bindAddress: link.bindAddress, priority, kind };
}

/**
 * Resolves the SRTLA receiver (`name`, `1.2.3.4`, `::1` or `[::1]`) to an endpoint, preferring
 * `family` (the links' family) when the name has addresses of both.
 */
export async function resolveReceiver(
  host: string,
  port: number,
  family: 4 | 6 | undefined,
): Promise<Address> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RuntimeOptionError(`receiver port must be 1..65535, got ${String(port)}`);
  }
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === '') throw new RuntimeOptionError('receiver host must not be empty');
  if (isIP(bare) !== 0) return createEndpoint(bare, port);
  let addresses: { address: string; family: number }[];
  try {
    addresses = await lookup(bare, { all: true, verbatim: true });
  } catch (error) {
    throw new ReceiverResolveError(bare, { cause: error });
  }
  const chosen = addresses.find((a) => a.family === family) ?? addresses[0];
  if (chosen === undefined) throw new ReceiverResolveError(bare);
  return createEndpoint(chosen.address, port);
}

/** The one IP family of `links`' bind addresses, or undefined when mixed or none. */
export function linksFamily(links: readonly SenderLinkOptions[]): 4 | 6 | undefined {
  let family: 4 | 6 | undefined;
  for (const link of links) {
    const each = isIP(link.bindAddress);
    if (each !== 4 && each !== 6) continue;
    if (family !== undefined && family !== each) return undefined;
    family = each;
  }
  return family;
}
