/**
 * `@bond/linkem`: a userspace UDP link emulator for tests, demos and benchmarks (kernel netem is not
 * available everywhere, and this one is scriptable from tests).
 *
 * Each emulated uplink is a UDP relay: the sender's link socket sends to `link.address` as if it
 * were the receiver; the relay forwards to `target` from its own upstream socket, and relays the
 * receiver's replies back. Per direction: a rate limit or a capacity trace replay (Mahimahi `.up`
 * files, as in `packages/core/test/traces`), a queue limited in bytes and/or ms, delay, jitter that
 * never reorders, random and bursty (Gilbert-Elliott) loss, and outages; per link: NAT rebinding
 * (a new source port).
 * Everything is seeded, changeable at run time, and counted. The same model as the core
 * simulator's `SimPath`, in real time.
 *
 * ```ts
 * import { createLinkEmulator } from '@bond/linkem';
 *
 * const emulator = await createLinkEmulator({
 *   seed: 7,
 *   links: [
 *     {
 *       name: 'lte-1',
 *       target: { address: '127.0.0.1', port: 5000 },            // the real receiver
 *       up: { rateBps: 6e6, queueMs: 200, delayMs: 30, jitterMs: 5, lossRate: 0.01 },
 *       down: { delayMs: 30 },
 *     },
 *   ],
 * });
 * const lte = emulator.link('lte-1');
 * // point the sender's link socket at lte.address; then, while it runs:
 * lte.update({ lossRate: 0.2 }, 'up'); // a bad patch
 * lte.outage(3000);                    // black-holed for 3 s
 * await lte.rebind();                  // the carrier NAT gives a new source port
 * console.log(lte.stats().up.dropped);
 * await emulator.close();
 * ```
 *
 * The `linkem` CLI (`bin/linkem.mjs`) runs the same from a scenario file; see `linkem --help`.
 */
export {
  createLinkEmulator,
  type DirectionChoice,
  type EmulatedLink,
  type LinkEmulator,
} from './link-emulator.js';
export type { LinkStats } from './link-relay.js';
export type { DirectionStats, DropCause } from './impaired-direction.js';
export type {
  EmulatorOptions,
  Endpoint,
  Impairment,
  ImpairmentUpdate,
  LinkOptions,
  Outage,
} from './options.js';
export { CapacityTrace, loadTrace, parseTrace, TRACE_OPPORTUNITY_BYTES } from './capacity-trace.js';
export { Bottleneck, type BottleneckCapacity } from './bottleneck.js';
export { loadScenario, parseScenario, type Scenario } from './scenario.js';
export {
  LinkemBindError,
  LinkemClosedError,
  LinkemConfigError,
  LinkemScenarioFileError,
  LinkemTraceError,
} from './errors.js';
