// A fingerprint of everything both engines emit in a few seeded simulations: every datagram each
// engine hands out (with its time, target and bytes) and every event. A refactoring that claims
// "no behaviour changed" prints the same fingerprints before and after it (run with
// `pnpm test:slow` on both commits and compare the printed lines). The test itself checks that
// the simulation is deterministic: the same seed gives the same fingerprint twice.
import { createHash, type Hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ClassicScheduler, createReorderForwardPath } from '../../src/index.js';
import { cleanLink, linksUp } from '../sim/scenario.js';
import { Simulation, type SimulationConfig } from '../sim/simulation.js';

const SCENARIOS: Record<string, () => SimulationConfig> = {
  'three clean links': () => ({
    seed: 21,
    links: [cleanLink(1, 20), cleanLink(2, 45), cleanLink(3, 80)],
    encoder: { packetsPerSecond: 1500 },
  }),
  'lossy links, one outage, reorder auto': () => ({
    seed: 7,
    links: [
      { id: 1, up: { delayMs: 30, rateBps: 6e6, lossRate: 0.01, jitterMs: 5 } },
      { id: 2, up: { delayMs: 70, rateBps: 4e6, outages: [[6000, 9000]] } },
      { id: 3, up: { delayMs: 50, rateBps: 3e6, burst: { enter: 0.002, leave: 0.3 } } },
    ],
    encoder: { packetsPerSecond: 900 },
    receiver: { forwardPath: createReorderForwardPath({ mode: 'auto' }) },
  }),
  'classic scheduler, overloaded link': () => ({
    seed: 3,
    links: [{ id: 1, up: { delayMs: 25, rateBps: 2e6, queueBytes: 100_000 } }, cleanLink(2, 60, 3)],
    encoder: { packetsPerSecond: 600 },
    sender: { scheduler: new ClassicScheduler() },
  }),
};

function feed(hash: Hash, now: number, tag: string, bytes: Uint8Array): void {
  hash.update(`${now.toFixed(6)} ${tag} ${bytes.length}\n`);
  hash.update(bytes);
}

// Events carry peer addresses; they are hashed as `ip:port` text, so a change in how an address is
// represented (its fields, its class) does not read as a change in behaviour.
function addressAsText(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const { ip, port } = value as { ip?: unknown; port?: unknown };
  return typeof ip === 'string' && typeof port === 'number' ? `${ip}:${port}` : value;
}

function fingerprint(config: SimulationConfig): string {
  const hash = createHash('sha256');
  const sim = new Simulation(config);
  const sender = sim.sender;
  const senderPoll = sender.pollTransmit.bind(sender);
  sender.pollTransmit = () => {
    const transmit = senderPoll();
    if (transmit !== undefined) feed(hash, sim.now, `s${transmit.linkId}`, transmit.bytes);
    return transmit;
  };
  const receiver = sim.receiver;
  const receiverPoll = receiver.pollTransmit.bind(receiver);
  receiver.pollTransmit = () => {
    const transmit = receiverPoll();
    if (transmit !== undefined) {
      feed(hash, sim.now, `r${transmit.target}/${transmit.groupId}`, transmit.bytes);
    }
    return transmit;
  };
  sim.runUntilTrue(() => linksUp(sim).length === config.links.length, 5000);
  sim.stream(12_000);
  sim.runUntil(14_000);
  hash.update(JSON.stringify(sim.senderEvents, addressAsText));
  hash.update(JSON.stringify(sim.receiverEvents, addressAsText));
  hash.update(JSON.stringify(sim.sender.stats(sim.now)));
  return hash.digest('hex').slice(0, 16);
}

describe('simulation fingerprint', () => {
  for (const [name, config] of Object.entries(SCENARIOS)) {
    it(`${name}: the same seed emits the same datagrams and events`, () => {
      const first = fingerprint(config());
      console.log(`fingerprint ${name}: ${first}`);
      expect(fingerprint(config())).toBe(first);
    }, 60_000);
  }
});
