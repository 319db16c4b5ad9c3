/**
 * `bond-receiver --cluster redis://... --node-id ID --backplane ADDR:PORT --cluster-key-file PATH`
 * (issue 14): the settings that make this receiver one node of a cluster across hosts, and
 * {@link resolveClusterConfig}, which checks them together and reads the cluster key into the
 * {@link ClusterConfig} the run code hands to the coordinator and the node.
 *
 * Each setting parses alone in the settings table (so a bad value is refused by the command line
 * and the config file alike); what needs the others or the file system (a flag without
 * `--cluster`, `--cluster` without `--backplane`, the key file) is checked here.
 */
import { createHash } from 'node:crypto';
import { readFile as fsReadFile, stat as fsStat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { SettingError } from '@bond/app-common';
import { redactRedisUrl } from '@bond/cluster';
import type { ReceiverSettings } from './settings.js';

/** Bytes of key material the cluster key file must hold at least. */
export const MIN_CLUSTER_KEY_BYTES = 32;
/** The largest key file read (a bigger one is something else named by mistake). */
export const MAX_CLUSTER_KEY_FILE_BYTES = 65_536;

/** How to make a key file, for messages and help. */
export const CLUSTER_KEY_HINT =
  'create one with: head -c 32 /dev/urandom > cluster.key && chmod 600 cluster.key, and copy the same file to every node';

const NODE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** Where other nodes send this node's backplane datagrams. */
export interface BackplaneAddress {
  /** An IPv4 or IPv6 address (no brackets). */
  readonly host: string;
  readonly port: number;
}

/** The resolved cluster settings of one node (undefined from {@link resolveClusterConfig}: none). */
export interface ClusterConfig {
  /** The Redis URL to connect to, password included: never log it, log {@link redis}. */
  readonly url: string;
  /** The Redis URL with any password replaced by `***`, for logs and messages. */
  readonly redis: string;
  /** This node's name in logs, stats and the cluster view. */
  readonly nodeId: string;
  readonly backplane: BackplaneAddress;
  /** `backplane` as `host:port` (`[v6]:port`), the form the coordinator publishes. */
  readonly backplaneText: string;
  /** The cluster's 32-byte secret, read from the key file. */
  readonly clusterKey: Uint8Array;
  readonly clusterKeyFile: string;
}

/** What {@link resolveClusterConfig} uses from the system (tests replace it). */
export interface ClusterConfigDeps {
  readFile(path: string): Promise<Uint8Array>;
  stat(path: string): Promise<{ mode: number; size: number; isFile(): boolean }>;
  /** Told about a key file other users can read (the receiver still starts). */
  warn(message: string): void;
  hostname(): string;
  /** Whether file modes mean anything here (not on Windows). */
  readonly posixModes: boolean;
}

const SYSTEM: Omit<ClusterConfigDeps, 'warn'> = {
  readFile: (path) => fsReadFile(path),
  stat: (path) => fsStat(path),
  hostname: () => osHostname(),
  posixModes: process.platform !== 'win32',
};

/** A `--cluster` value: a `redis://` or `rediss://` URL naming a host. Never echoes a password. */
export function parseClusterUrl(raw: string): string {
  const text = raw.trim();
  const shown = redactRedisUrl(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SettingError(
      `cluster must be a Redis URL such as redis://10.0.0.2:6379 or redis://:PASSWORD@HOST:6379, got "${shown}"`,
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new SettingError(
      `cluster must start with redis:// (or rediss:// for TLS), got "${shown}"`,
    );
  }
  if (url.hostname === '') {
    throw new SettingError(`cluster URL "${shown}" names no host (redis://HOST:PORT)`);
  }
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d{1,2}$/.test(url.pathname)) {
    throw new SettingError(
      `cluster URL "${shown}": the path may only be a database number (redis://HOST:PORT/0)`,
    );
  }
  return text;
}

/** A `--node-id` value: 1-64 of `A-Z a-z 0-9 _ . -`. */
export function parseNodeId(raw: string): string {
  const text = raw.trim();
  if (!NODE_ID.test(text)) {
    throw new SettingError(
      `node-id must be 1-64 characters of A-Z a-z 0-9 _ . - (for example rx-fra-1), got "${raw}"`,
    );
  }
  return text;
}

/**
 * A `--backplane` value: `ADDR:PORT` or `[IPV6]:PORT`, this node's own address that the other
 * nodes reach (not a wildcard such as 0.0.0.0, which they cannot send to), port 1..65535.
 */
export function parseBackplane(raw: string): BackplaneAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(raw.trim());
  const host = match?.[1] ?? match?.[2];
  if (!match || host === undefined) {
    throw new SettingError(
      `backplane must be ADDR:PORT or [IPV6]:PORT, this node's address other nodes reach (for example 10.0.0.5:7000), got "${raw}"`,
    );
  }
  const family = isIP(host);
  if (family === 0 || (match[1] !== undefined && family !== 6)) {
    throw new SettingError(
      `backplane: "${host}" is not an IP address (give this node's IPv4 address, or an IPv6 one in brackets), got "${raw}"`,
    );
  }
  if (host === '0.0.0.0' || host === '::' || /^(?:0*:)+0*$/.test(host)) {
    throw new SettingError(
      `backplane: ${host} is a wildcard; give this node's own address that the other nodes reach (for example 10.0.0.5:7000)`,
    );
  }
  const port = Number(match[3]);
  if (port < 1 || port > 65535) {
    throw new SettingError(`backplane port must be 1..65535, got "${match[3]}" in "${raw}"`);
  }
  return { host, port };
}

/** `host:port`, with brackets for IPv6. */
export function formatBackplane(address: BackplaneAddress): string {
  return isIP(address.host) === 6
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}

/**
 * Checks the cluster settings together and reads the key file. Undefined when `--cluster` is not
 * given (and none of the others is). Throws {@link SettingError} saying what is wrong and what to
 * do; warns (through `deps.warn`) when other users can read the key file.
 *
 * The key: a file of exactly 32 bytes is the key itself (`head -c 32 /dev/urandom`); a longer one
 * (for example `openssl rand -hex 32` text) is hashed to 32 bytes with SHA-256, byte for byte, so
 * every node must hold the same file.
 */
export async function resolveClusterConfig(
  settings: Pick<ReceiverSettings, 'cluster' | 'nodeId' | 'backplane' | 'clusterKeyFile'>,
  deps: Partial<ClusterConfigDeps> & Pick<ClusterConfigDeps, 'warn'>,
): Promise<ClusterConfig | undefined> {
  const system = { ...SYSTEM, ...deps };
  if (settings.cluster === undefined) {
    const stray = [
      settings.nodeId === undefined ? undefined : '--node-id',
      settings.backplane === undefined ? undefined : '--backplane',
      settings.clusterKeyFile === undefined ? undefined : '--cluster-key-file',
    ].filter((name) => name !== undefined);
    if (stray.length > 0) {
      throw new SettingError(
        `${stray.join(', ')} ${stray.length === 1 ? 'takes' : 'take'} effect with --cluster redis://HOST:PORT only: add --cluster, or remove ${stray.length === 1 ? 'it' : 'them'}`,
      );
    }
    return undefined;
  }
  const redis = redactRedisUrl(settings.cluster);
  if (settings.backplane === undefined) {
    throw new SettingError(
      `--cluster ${redis} needs --backplane ADDR:PORT: this node's address and UDP port that the other nodes forward to (for example 10.0.0.5:7000)`,
    );
  }
  if (settings.clusterKeyFile === undefined) {
    throw new SettingError(
      `--cluster ${redis} needs --cluster-key-file PATH, the secret every node of the cluster shares; ${CLUSTER_KEY_HINT}`,
    );
  }
  const path = settings.clusterKeyFile;
  const bytes = await readKeyFile(path, system);
  if (bytes.length < MIN_CLUSTER_KEY_BYTES) {
    throw new SettingError(
      `cluster key file ${path} holds ${bytes.length} byte${bytes.length === 1 ? '' : 's'}; it needs at least ${MIN_CLUSTER_KEY_BYTES} bytes of random key material: ${CLUSTER_KEY_HINT}`,
    );
  }
  const distinct = new Set(bytes).size;
  if (distinct < 8) {
    throw new SettingError(
      `cluster key file ${path} does not look random (${distinct} different byte value${distinct === 1 ? '' : 's'} in ${bytes.length} bytes): ${CLUSTER_KEY_HINT}`,
    );
  }
  const clusterKey =
    bytes.length === 32
      ? Uint8Array.from(bytes)
      : new Uint8Array(createHash('sha256').update(bytes).digest());
  const nodeId = settings.nodeId ?? defaultNodeId(system.hostname());
  return {
    url: settings.cluster,
    redis,
    nodeId,
    backplane: settings.backplane,
    backplaneText: formatBackplane(settings.backplane),
    clusterKey,
    clusterKeyFile: path,
  };
}

async function readKeyFile(path: string, system: ClusterConfigDeps): Promise<Uint8Array> {
  let info: { mode: number; size: number; isFile(): boolean };
  try {
    info = await system.stat(path);
  } catch (error) {
    throw keyFileError(path, error);
  }
  if (!info.isFile()) {
    throw new SettingError(`cluster key file ${path} is not a file: ${CLUSTER_KEY_HINT}`);
  }
  if (info.size > MAX_CLUSTER_KEY_FILE_BYTES) {
    throw new SettingError(
      `cluster key file ${path} is ${info.size} bytes, not a key file (at most ${MAX_CLUSTER_KEY_FILE_BYTES}; 32 random bytes make a key): ${CLUSTER_KEY_HINT}`,
    );
  }
  if (system.posixModes && (info.mode & 0o077) !== 0) {
    system.warn(
      `cluster key file ${path} can be read by other users (mode ${(info.mode & 0o777).toString(8)}): anyone who reads it can inject into the cluster's streams; run chmod 600 ${path}`,
    );
  }
  try {
    return await system.readFile(path);
  } catch (error) {
    throw keyFileError(path, error);
  }
}

function keyFileError(path: string, error: unknown): SettingError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') {
    return new SettingError(`cluster key file ${path} does not exist: ${CLUSTER_KEY_HINT}`);
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new SettingError(
      `cannot read cluster key file ${path} (permission denied): run bond-receiver as the file's owner, or chown it to that user`,
    );
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new SettingError(`cannot read cluster key file ${path}: ${reason}`);
}

/** The host name as a node id (characters a node id does not take become `-`). */
function defaultNodeId(hostname: string): string {
  const cleaned = hostname.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64);
  return cleaned === '' ? 'node' : cleaned;
}
