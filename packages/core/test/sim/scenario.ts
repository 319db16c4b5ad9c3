/**
 * Helpers shared by the simulation scenarios: link presets and small queries over a run.
 */
import type { SimLinkConfig } from './simulation.js';
import type { Simulation } from './simulation.js';

/** A clean link: `rateMbps` bottleneck, `delayMs` one way, 200 ms of queue. */
export function cleanLink(id: number, delayMs: number, rateMbps = 10): SimLinkConfig {
  const rateBps = rateMbps * 1e6;
  return { id, up: { delayMs, rateBps, queueBytes: (rateBps / 8) * 0.2 } };
}

/** Ids of sender links that are up. */
export function linksUp(sim: Simulation): number[] {
  return sim.sender
    .stats(sim.now)
    .links.filter((link) => link.state === 'up')
    .map((link) => link.id);
}

/** Sender events of one type, in order. */
export function senderEventsOf(sim: Simulation, type: string) {
  return sim.senderEvents.filter((entry) => entry.event.type === type);
}

/** Receiver events of one type, in order. */
export function receiverEventsOf(sim: Simulation, type: string) {
  return sim.receiverEvents.filter((entry) => entry.event.type === type);
}
