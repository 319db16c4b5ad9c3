/**
 * The emulator's options and their validation. Library callers and scenario files go through the
 * same checks, so a bad value is reported the same way: a `LinkemConfigError` naming the field
 * (`links[1].up.lossRate`) and saying what it must be.
 */
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { CapacityTrace, loadTrace } from './capacity-trace.js';
import { LinkemConfigError, LinkemTraceError } from './errors.js';

/** An interval [startMs, endMs) relative to the emulator's start during which a link is black. */
export type Outage = readonly [startMs: number, endMs: number];

/** Impairments of one direction of an emulated uplink. Every field is optional. */
export interface Impairment {
  /** Bottleneck rate in bits per second. Without it (and without `trace`) the rate is unlimited. */
  readonly rateBps?: number;
  /**
   * Capacity trace instead of a fixed rate: a Mahimahi `.up` file path (relative paths resolve
   * against the working directory, or in a scenario file against the file's directory), or the
   * trace's ms offsets. Each entry lets 1500 bytes through; the trace repeats.
   */
  readonly trace?: string | ArrayLike<number> | CapacityTrace;
  /** Queue limit in bytes in front of the bottleneck. Default 1 MB when `queueMs` is unset too. */
  readonly queueBytes?: number;
  /** Queue limit in ms: a datagram that would wait longer than this at the bottleneck is dropped. */
  readonly queueMs?: number;
  /** One-way propagation delay after the bottleneck, ms. */
  readonly delayMs?: number;
  /** Extra delay uniform in [0, jitterMs), ms. Never reorders: a datagram waits for its predecessor. */
  readonly jitterMs?: number;
  /** Independent loss probability per datagram, in [0, 1]. */
  readonly lossRate?: number;
  /**
   * Bursty loss (Gilbert-Elliott): per datagram, P(good -> bad) is `enter` and P(bad -> good) is
   * `leave`; every datagram in the bad state is lost.
   */
  readonly burst?: { readonly enter: number; readonly leave: number };
  /** Black-hole intervals; datagrams offered or arriving during one are dropped. */
  readonly outages?: readonly Outage[];
}

/** A run-time change to an impairment: a field set to `null` returns to its default. */
export type ImpairmentUpdate = {
  readonly [K in keyof Impairment]?: Impairment[K] | null;
};

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export interface LinkOptions {
  /** Names the link in stats and errors. Unique within an emulator. */
  readonly name: string;
  /** Where the sender's link socket sends to. Default 127.0.0.1, port 0 (a free port). */
  readonly listen?: { readonly address?: string; readonly port?: number };
  /** The real receiver. */
  readonly target: Endpoint;
  /** Local address for the upstream socket. Default: loopback when `target` is loopback. */
  readonly upstreamAddress?: string;
  /** Sender -> receiver impairments. */
  readonly up?: Impairment;
  /** Receiver -> sender impairments. */
  readonly down?: Impairment;
  /** Outages of both directions (added to each direction's own). */
  readonly outages?: readonly Outage[];
  /** Times (ms from the emulator's start) at which the upstream source port changes. */
  readonly rebindAtMs?: readonly number[];
  /**
   * With a `gateway`: the sender's source IP address whose datagrams take this link (required
   * then, unique per emulator). A sender whose links all send to one receiver address (as
   * srtla_send and bond-sender do) gets one emulated path per link this way.
   */
  readonly from?: string;
}

export interface EmulatorOptions {
  readonly links: readonly LinkOptions[];
  /**
   * One listen socket for every link, standing in for the receiver: each datagram takes the link
   * whose `from` is its source address, and replies leave from this socket. Without it, each link
   * listens on its own address.
   */
  readonly gateway?: { readonly address?: string; readonly port?: number };
  /** Seed of every random choice (loss, jitter), so runs are reproducible. Default 1. */
  readonly seed?: number;
}

/** An impairment with defaults applied and the trace loaded. */
export interface ResolvedImpairment {
  readonly rateBps: number | undefined;
  readonly trace: CapacityTrace | undefined;
  readonly queueBytes: number;
  readonly queueMs: number;
  readonly delayMs: number;
  readonly jitterMs: number;
  readonly lossRate: number;
  readonly burst: { readonly enter: number; readonly leave: number } | undefined;
  readonly outages: readonly Outage[];
}

/** 1 MB: the default bottleneck queue, as in the core simulator's `SimPath`. */
export const DEFAULT_QUEUE_BYTES = 1_000_000;

const IMPAIRMENT_FIELDS = [
  'rateBps',
  'trace',
  'queueBytes',
  'queueMs',
  'delayMs',
  'jitterMs',
  'lossRate',
  'burst',
  'outages',
] as const;
const LINK_FIELDS = [
  'name',
  'listen',
  'target',
  'upstreamAddress',
  'up',
  'down',
  'outages',
  'rebindAtMs',
  'from',
] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  return `${value as number | boolean | bigint | undefined}`;
}

function expectRecord(value: unknown, path: string): Record<string, unknown> {
  if (!isRecord(value))
    throw new LinkemConfigError(path, `must be an object, got ${describe(value)}`);
  return value;
}

function rejectUnknownFields(
  record: Record<string, unknown>,
  known: readonly string[],
  path: string,
): void {
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) {
      throw new LinkemConfigError(
        path === '' ? key : `${path}.${key}`,
        `unknown field; known fields here: ${known.join(', ')}`,
      );
    }
  }
}

function numberIn(value: unknown, path: string, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new LinkemConfigError(path, `must be ${what}, got ${describe(value)}`);
  }
  return value;
}

function port(value: unknown, path: string): number {
  if (!Number.isInteger(value)) {
    throw new LinkemConfigError(path, `must be a port number 0-65535, got ${describe(value)}`);
  }
  return numberIn(value, path, 0, 65535, 'a port number 0-65535');
}

function address(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new LinkemConfigError(path, `must be an IP address string, got ${describe(value)}`);
  }
  return value;
}

function outages(value: unknown, path: string): Outage[] {
  if (!Array.isArray(value)) {
    throw new LinkemConfigError(
      path,
      `must be a list of [startMs, endMs] pairs, got ${describe(value)}`,
    );
  }
  return value.map((entry: unknown, i): Outage => {
    const at = `${path}[${i}]`;
    if (!Array.isArray(entry) || entry.length !== 2) {
      throw new LinkemConfigError(at, `must be a [startMs, endMs] pair, got ${describe(entry)}`);
    }
    const start = numberIn(entry[0], `${at}[0]`, 0, Infinity, 'a start time in ms >= 0');
    const end = numberIn(entry[1], `${at}[1]`, start, Infinity, `an end time in ms >= the start`);
    return [start, end];
  });
}

function resolveTrace(value: unknown, path: string, baseDir: string): CapacityTrace {
  try {
    if (value instanceof CapacityTrace) return value;
    if (typeof value === 'string') {
      return loadTrace(isAbsolute(value) ? value : resolve(baseDir, value));
    }
    if (Array.isArray(value) || value instanceof Float64Array) {
      return new CapacityTrace(value as ArrayLike<number>, path);
    }
  } catch (cause) {
    if (cause instanceof LinkemTraceError)
      throw new LinkemConfigError(path, cause.message, { cause });
    throw cause;
  }
  throw new LinkemConfigError(
    path,
    `must be a trace file path or a list of ms offsets, got ${describe(value)}`,
  );
}

/**
 * Checks an impairment (from code or JSON) and applies defaults. `base` is the impairment being
 * updated, if any: fields absent from `value` keep their value there, fields set to `null` return to
 * their default.
 */
export function resolveImpairment(
  value: unknown,
  path: string,
  baseDir: string,
  base?: ResolvedImpairment,
): ResolvedImpairment {
  const record = value === undefined ? {} : expectRecord(value, path);
  rejectUnknownFields(record, IMPAIRMENT_FIELDS, path);
  const field = (key: (typeof IMPAIRMENT_FIELDS)[number]): { set: boolean; value: unknown } =>
    record[key] === undefined
      ? { set: false, value: undefined }
      : { set: true, value: record[key] };
  const pick = <T>(
    key: (typeof IMPAIRMENT_FIELDS)[number],
    check: (raw: unknown, at: string) => T,
    fallback: T,
    current: T | undefined,
  ): T => {
    const { set, value: raw } = field(key);
    if (!set) return base === undefined ? fallback : (current as T);
    if (raw === null) return fallback;
    return check(raw, `${path}.${key}`);
  };
  const probability = (raw: unknown, at: string): number =>
    numberIn(raw, at, 0, 1, 'a probability in [0, 1]');
  const ms = (raw: unknown, at: string): number =>
    numberIn(raw, at, 0, Infinity, 'a duration in ms >= 0');

  const rateBps = pick<number | undefined>(
    'rateBps',
    (raw, at) => numberIn(raw, at, 1, Infinity, 'a rate in bits per second >= 1'),
    undefined,
    base?.rateBps,
  );
  const trace = pick<CapacityTrace | undefined>(
    'trace',
    (raw, at) => resolveTrace(raw, at, baseDir),
    undefined,
    base?.trace,
  );
  // A newly set rate replaces an earlier trace, and the other way round.
  const rateSet = field('rateBps').set && record.rateBps !== null;
  const traceSet = field('trace').set && record.trace !== null;
  if (rateSet && traceSet) {
    throw new LinkemConfigError(`${path}.trace`, 'set either rateBps or trace, not both');
  }
  const queueBytesGiven = pick<number | undefined>(
    'queueBytes',
    (raw, at) => numberIn(raw, at, 0, Infinity, 'a size in bytes >= 0'),
    undefined,
    base === undefined ? undefined : Number.isFinite(base.queueBytes) ? base.queueBytes : undefined,
  );
  const queueMsGiven = pick<number | undefined>(
    'queueMs',
    ms,
    undefined,
    base === undefined ? undefined : Number.isFinite(base.queueMs) ? base.queueMs : undefined,
  );
  const burst = pick<ResolvedImpairment['burst']>(
    'burst',
    (raw, at) => {
      const b = expectRecord(raw, at);
      rejectUnknownFields(b, ['enter', 'leave'], at);
      return {
        enter: probability(b.enter, `${at}.enter`),
        leave: probability(b.leave, `${at}.leave`),
      };
    },
    undefined,
    base?.burst,
  );
  return {
    rateBps: traceSet ? undefined : rateBps,
    trace: rateSet ? undefined : trace,
    queueBytes:
      queueBytesGiven ??
      (queueMsGiven === undefined ? DEFAULT_QUEUE_BYTES : Number.POSITIVE_INFINITY),
    queueMs: queueMsGiven ?? Number.POSITIVE_INFINITY,
    delayMs: pick('delayMs', ms, 0, base?.delayMs),
    jitterMs: pick('jitterMs', ms, 0, base?.jitterMs),
    lossRate: pick('lossRate', probability, 0, base?.lossRate),
    burst,
    outages: pick<readonly Outage[]>('outages', outages, [], base?.outages),
  };
}

/** A link's options, checked, with defaults applied and its impairments resolved. */
export interface ResolvedLink {
  readonly name: string;
  readonly listen: Endpoint;
  readonly target: Endpoint;
  readonly upstreamAddress: string | undefined;
  readonly up: ResolvedImpairment;
  readonly down: ResolvedImpairment;
  readonly rebindAtMs: readonly number[];
  /** The sender source address this link carries (gateway mode only). */
  readonly from: string | undefined;
}

export interface ResolvedOptions {
  readonly links: readonly ResolvedLink[];
  readonly seed: number;
  /** The shared listen endpoint (port 0: a free one), when the links share one. */
  readonly gateway: Endpoint | undefined;
}

/**
 * Checks emulator options (from code or a parsed scenario file). Relative trace paths resolve
 * against `baseDir`.
 *
 * @throws LinkemConfigError naming the first bad field.
 */
export function resolveOptions(
  value: unknown,
  baseDir: string,
  extraFields: readonly string[] = [],
): ResolvedOptions {
  const record = expectRecord(value, '(top level)');
  rejectUnknownFields(record, ['links', 'seed', 'gateway', ...extraFields], '');
  let gateway: Endpoint | undefined;
  if (record.gateway !== undefined) {
    const value = expectRecord(record.gateway, 'gateway');
    rejectUnknownFields(value, ['address', 'port'], 'gateway');
    gateway = {
      address:
        value.address === undefined ? '127.0.0.1' : address(value.address, 'gateway.address'),
      port: value.port === undefined ? 0 : port(value.port, 'gateway.port'),
    };
  }
  const sources = new Set<string>();
  const seed =
    record.seed === undefined
      ? 1
      : Number.isInteger(record.seed)
        ? (record.seed as number)
        : (() => {
            throw new LinkemConfigError('seed', `must be an integer, got ${describe(record.seed)}`);
          })();
  if (!Array.isArray(record.links) || record.links.length === 0) {
    throw new LinkemConfigError(
      'links',
      `must be a non-empty list of links, got ${describe(record.links)}`,
    );
  }
  const names = new Set<string>();
  const links = record.links.map((entry: unknown, i): ResolvedLink => {
    const path = `links[${i}]`;
    const link = expectRecord(entry, path);
    rejectUnknownFields(link, LINK_FIELDS, path);
    if (typeof link.name !== 'string' || link.name === '') {
      throw new LinkemConfigError(
        `${path}.name`,
        `must be a non-empty string, got ${describe(link.name)}`,
      );
    }
    if (names.has(link.name)) {
      throw new LinkemConfigError(
        `${path}.name`,
        `"${link.name}" is used by an earlier link; names must be unique`,
      );
    }
    names.add(link.name);
    const listen = link.listen === undefined ? {} : expectRecord(link.listen, `${path}.listen`);
    rejectUnknownFields(listen, ['address', 'port'], `${path}.listen`);
    const target = expectRecord(link.target, `${path}.target`);
    rejectUnknownFields(target, ['address', 'port'], `${path}.target`);
    const shared = link.outages === undefined ? [] : outages(link.outages, `${path}.outages`);
    const withShared = (impairment: ResolvedImpairment): ResolvedImpairment =>
      shared.length === 0
        ? impairment
        : { ...impairment, outages: [...impairment.outages, ...shared] };
    const rebindAtMs = link.rebindAtMs ?? [];
    if (!Array.isArray(rebindAtMs)) {
      throw new LinkemConfigError(
        `${path}.rebindAtMs`,
        `must be a list of times in ms, got ${describe(rebindAtMs)}`,
      );
    }
    let from: string | undefined;
    if (gateway === undefined) {
      if (link.from !== undefined) {
        throw new LinkemConfigError(
          `${path}.from`,
          'only means something with a top-level "gateway"; add one, or remove "from"',
        );
      }
    } else {
      if (link.listen !== undefined) {
        throw new LinkemConfigError(
          `${path}.listen`,
          'links listen on the shared "gateway"; remove "listen" or the gateway',
        );
      }
      if (link.from === undefined) {
        throw new LinkemConfigError(
          `${path}.from`,
          'is required with a "gateway": the sender source address this link carries',
        );
      }
      from = address(link.from, `${path}.from`);
      if (isIP(from) === 0) {
        throw new LinkemConfigError(`${path}.from`, `must be an IP address, got "${from}"`);
      }
      if (sources.has(from)) {
        throw new LinkemConfigError(`${path}.from`, `${from} is taken by an earlier link`);
      }
      sources.add(from);
    }
    return {
      name: link.name,
      from,
      listen: {
        address:
          listen.address === undefined
            ? '127.0.0.1'
            : address(listen.address, `${path}.listen.address`),
        port: listen.port === undefined ? 0 : port(listen.port, `${path}.listen.port`),
      },
      target: {
        address: address(target.address, `${path}.target.address`),
        port: port(target.port, `${path}.target.port`),
      },
      upstreamAddress:
        link.upstreamAddress === undefined
          ? undefined
          : address(link.upstreamAddress, `${path}.upstreamAddress`),
      up: withShared(resolveImpairment(link.up, `${path}.up`, baseDir)),
      down: withShared(resolveImpairment(link.down, `${path}.down`, baseDir)),
      rebindAtMs: rebindAtMs.map((at: unknown, j) =>
        numberIn(at, `${path}.rebindAtMs[${j}]`, 0, Infinity, 'a time in ms >= 0'),
      ),
    };
  });
  return { links, seed, gateway };
}
