/**
 * `createLinkEmulator()`: opens one relay per emulated uplink, drives all of them from one clock
 * and one release timer, and schedules their NAT rebindings.
 */
import { performance } from 'node:perf_hooks';
import { LinkemConfigError } from './errors.js';
import {
  resolveImpairment,
  resolveOptions,
  type EmulatorOptions,
  type ImpairmentUpdate,
  type Endpoint,
  type ResolvedOptions,
} from './options.js';
import {
  LinkRelay,
  closeSocket,
  openGateway,
  type Direction,
  type LinkStats,
} from './link-relay.js';
import { ReleaseTimer } from './release-timer.js';
import { createSeededRandom, deriveSeed } from './seeded-random.js';

/** Which directions a run-time change applies to. */
export type DirectionChoice = Direction | 'both';

/** A handle on one emulated uplink. */
export interface EmulatedLink {
  readonly name: string;
  /** Where the sender's link socket must send to (the bound listen address and port). */
  readonly address: Endpoint;
  /** The real receiver. */
  readonly target: Endpoint;
  /** The upstream socket's current port: the source port the receiver sees. */
  readonly upstreamPort: number;
  stats(): LinkStats;
  /**
   * Changes impairments now, for example `link.update({ lossRate: 0.2 })`. Fields left out keep
   * their value; `null` returns a field to its default.
   *
   * @throws LinkemConfigError when a value is invalid (nothing is changed then).
   */
  update(change: ImpairmentUpdate, direction?: DirectionChoice): void;
  /** Black-holes the link from now for `durationMs`. */
  outage(durationMs: number, direction?: DirectionChoice): void;
  /** NAT rebinding: a new upstream source port from now on; resolves to it. */
  rebind(): Promise<number>;
  /** Closes this link's sockets. */
  close(): Promise<void>;
}

export interface LinkEmulator {
  readonly links: readonly EmulatedLink[];
  /** The shared listen endpoint in gateway mode (send every link here), else undefined. */
  readonly gateway: Endpoint | undefined;
  /** Gateway mode: datagrams from a source address no link's `from` names (dropped). */
  unrouted(): number;
  /** The link named `name`. @throws LinkemConfigError when there is none. */
  link(name: string): EmulatedLink;
  /** Counters of every link; still readable after `close()` (the final counters). */
  stats(): LinkStats[];
  /** ms since the emulator started (outages and `rebindAtMs` are relative to this). */
  elapsedMs(): number;
  /** Stops the timer and closes every socket. Idempotent. */
  close(): Promise<void>;
}

function directionsOf(choice: DirectionChoice): Direction[] {
  return choice === 'both' ? ['up', 'down'] : [choice];
}

/**
 * Opens the emulator: binds every link's sockets, then starts the clock (time 0 for outages and
 * rebinding schedules).
 *
 * @throws LinkemConfigError for invalid options, LinkemBindError when a socket cannot be bound
 *   (every socket opened so far is closed then).
 */
export async function createLinkEmulator(options: EmulatorOptions): Promise<LinkEmulator> {
  return openResolved(resolveOptions(options, process.cwd()));
}

/** Opens an emulator from options already checked by `resolveOptions` (scenario files). */
export async function openResolved(resolved: ResolvedOptions): Promise<LinkEmulator> {
  let origin = performance.now();
  const now = (): number => performance.now() - origin;
  const relays: LinkRelay[] = [];
  const timer = new ReleaseTimer(now, (at) => {
    let next = Number.POSITIVE_INFINITY;
    for (const relay of relays) if (!relay.isClosed) next = Math.min(next, relay.service(at));
    return next;
  });
  const wake = (due: number): void => {
    timer.wake(due);
  };
  // Gateway mode: the sender's source address picks the link.
  const routes = new Map<string, LinkRelay>();
  let unrouted = 0;
  let gateway: Awaited<ReturnType<typeof openGateway>> | undefined;
  try {
    if (resolved.gateway !== undefined) {
      gateway = await openGateway(resolved.gateway, (payload, from) => {
        const relay = routes.get(unmapped(from.address));
        if (relay === undefined) unrouted++;
        else relay.fromSender(payload, from);
      });
    }
    for (const [i, link] of resolved.links.entries()) {
      const relay = await LinkRelay.open(
        link,
        {
          now,
          wake,
          random: {
            up: createSeededRandom(deriveSeed(resolved.seed, 2 * i)),
            down: createSeededRandom(deriveSeed(resolved.seed, 2 * i + 1)),
          },
        },
        gateway,
      );
      relays.push(relay);
      if (link.from !== undefined) routes.set(unmapped(link.from), relay);
    }
  } catch (error) {
    timer.stop();
    await Promise.all(relays.map((relay) => relay.close()));
    if (gateway !== undefined) await closeSocket(gateway);
    throw error;
  }
  const gatewayEndpoint: Endpoint | undefined =
    gateway === undefined
      ? undefined
      : { address: gateway.address().address, port: gateway.address().port };
  origin = performance.now();

  const rebindTimers: NodeJS.Timeout[] = [];
  const handles = relays.map((relay, i): EmulatedLink => {
    const link = resolved.links[i];
    for (const at of link?.rebindAtMs ?? []) {
      rebindTimers.push(
        setTimeout(() => {
          // A rebind racing close() is of no interest; failures leave the old port in place.
          relay.rebind().catch(() => undefined);
        }, at),
      );
    }
    return {
      name: relay.name,
      get address() {
        return relay.address;
      },
      target: relay.target,
      get upstreamPort() {
        return relay.upstreamPort;
      },
      stats: () => relay.stats(),
      update(change, direction = 'both') {
        const targets = directionsOf(direction);
        // Resolve both first, so an invalid change leaves everything as it was.
        const next = targets.map((d) =>
          resolveImpairment(change, `update(${d})`, process.cwd(), relay.settings(d)),
        );
        targets.forEach((d, j) => {
          const impairment = next[j];
          if (impairment !== undefined) relay.apply(d, impairment);
        });
      },
      outage(durationMs, direction = 'both') {
        if (!Number.isFinite(durationMs) || durationMs < 0) {
          throw new LinkemConfigError(
            'outage(durationMs)',
            `must be a duration in ms >= 0, got ${durationMs}`,
          );
        }
        const start = now();
        for (const d of directionsOf(direction)) {
          const settings = relay.settings(d);
          relay.apply(d, {
            ...settings,
            outages: [...settings.outages, [start, start + durationMs]],
          });
        }
      },
      rebind: () => relay.rebind(),
      close: () => relay.close(),
    };
  });

  let closed = false;
  return {
    links: handles,
    gateway: gatewayEndpoint,
    unrouted: () => unrouted,
    link(name) {
      const found = handles.find((handle) => handle.name === name);
      if (found === undefined) {
        throw new LinkemConfigError(
          `link("${name}")`,
          `no such link; links: ${handles.map((h) => h.name).join(', ')}`,
        );
      }
      return found;
    },
    stats() {
      return relays.map((relay) => relay.stats());
    },
    elapsedMs: now,
    async close() {
      if (closed) return;
      closed = true;
      timer.stop();
      for (const rebindTimer of rebindTimers) clearTimeout(rebindTimer);
      await Promise.all(relays.map((relay) => relay.close()));
      if (gateway !== undefined) await closeSocket(gateway);
    },
  };
}

/** `::ffff:127.0.0.2` and `127.0.0.2` name one sender address. */
function unmapped(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && address.includes('.')
    ? address.slice(7)
    : address;
}
