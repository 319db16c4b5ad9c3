// Registration in virtual time (protocol.md 4.1 / 4.2), named after what happens in the field.
import { Address, DatagramKind, classifyDatagram, encodeReg1 } from '@bond/wire';
import { describe, expect, it } from 'vitest';
import { cleanLink, linksUp, receiverEventsOf, senderEventsOf } from './sim/scenario.js';
import { Simulation } from './sim/simulation.js';

function address(ip: string, port: number): Address {
  const parsed = Address.parse(ip, port);
  if (parsed === undefined) throw new Error(`bad address ${ip}`);
  return parsed;
}

describe('registration', () => {
  for (const count of [1, 3, 16]) {
    it(`brings up ${count} link(s) into one group`, () => {
      const ids = Array.from({ length: count }, (_, index) => index + 1);
      const sim = new Simulation({ seed: count, links: ids.map((id) => cleanLink(id, 10 + id)) });
      expect(sim.runUntilTrue(() => linksUp(sim).length === count, 5000)).toBe(true);
      expect(sim.now).toBeLessThan(1000);
      expect(sim.receiver.size).toEqual({ groups: 1, links: count });
      expect(receiverEventsOf(sim, 'group-created')).toHaveLength(1);
      expect(sim.sender.stats(sim.now).phase).toBe('registered');
    });
  }

  it('sends REG1 on the link that answered the probe first', () => {
    const sim = new Simulation({
      seed: 7,
      links: [cleanLink(1, 300), cleanLink(2, 15), cleanLink(3, 60)],
    });
    sim.recordLinkLog = true;
    sim.runUntilTrue(() => linksUp(sim).length === 3, 5000);
    const reg1 = sim.linkLog.filter((entry) => entry.kind === DatagramKind.SrtlaReg1);
    expect(reg1).toHaveLength(1);
    expect(reg1[0]?.linkId).toBe(2);
    expect(senderEventsOf(sim, 'registered')[0]?.event).toEqual({ type: 'registered', linkId: 2 });
  });

  it('sends REG1 on the first link after a bounded wait when every link is slow to answer', () => {
    const sim = new Simulation({
      seed: 8,
      links: [cleanLink(1, 800), cleanLink(2, 900)],
      sender: { probeWaitMs: 500, reg1TimeoutMs: 5000 },
    });
    sim.recordLinkLog = true;
    sim.runUntilTrue(() => linksUp(sim).length === 2, 10_000);
    const reg1 = sim.linkLog.filter((entry) => entry.kind === DatagramKind.SrtlaReg1);
    expect(reg1[0]?.linkId).toBe(1);
    // Sent at the end of the wait, before any NGP could arrive (1600 ms round trip).
    expect(reg1[0]?.time).toBe(500);
  });

  it('gets through when registration packets are lost for the first 3 seconds', () => {
    const lossy = (id: number) => ({
      id,
      up: { delayMs: 20, rateBps: 10e6, outages: [[0, 3000]] as const },
      down: { delayMs: 20, outages: [[0, 2000]] as const },
    });
    const sim = new Simulation({ seed: 9, links: [lossy(1), lossy(2)] });
    expect(sim.runUntilTrue(() => linksUp(sim).length === 2, 15_000)).toBe(true);
    expect(sim.now).toBeGreaterThan(3000);
    expect(sim.receiver.size).toEqual({ groups: 1, links: 2 });
  });

  it('keeps retrying while every link is down, and registers once one comes back', () => {
    const dead = (id: number) => ({
      id,
      up: { delayMs: 30, rateBps: 5e6, outages: [[0, 60_000]] as const },
    });
    const sim = new Simulation({ seed: 10, links: [dead(1), dead(2)] });
    sim.runUntil(60_000);
    expect(linksUp(sim)).toEqual([]);
    expect(sim.sender.stats(sim.now).bootstraps).toBeGreaterThan(10);
    expect(sim.runUntilTrue(() => linksUp(sim).length === 2, 70_000)).toBe(true);
  });

  it('re-bootstraps after a receiver restart mid-stream, and the stream resumes', () => {
    const sim = new Simulation({ seed: 11, links: [cleanLink(1, 20), cleanLink(2, 35)] });
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    sim.stream(60_000);
    sim.runUntil(5000);
    sim.restartReceiver();
    const deliveredAtRestart = sim.listener.delivered;
    sim.runUntil(40_000);
    const bootstraps = senderEventsOf(sim, 'bootstrap');
    expect(bootstraps.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(bootstraps[0]?.event)).toContain('NGP');
    expect(sim.receiver.size).toEqual({ groups: 1, links: 2 });
    // Stream resumed: the last 15 s delivered at the full rate (500 pps).
    const before = sim.listener.delivered;
    sim.runUntil(55_000);
    expect(sim.listener.delivered - before).toBeGreaterThan(0.99 * 500 * 15);
    expect(deliveredAtRestart).toBeGreaterThan(0);
  });

  it('asks a quiet receiver whether it still knows the group and re-registers within seconds of a restart', () => {
    const sim = new Simulation({ seed: 13, links: [cleanLink(1, 20), cleanLink(2, 35)] });
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    sim.stream(30_000);
    sim.runUntil(5000);
    sim.restartReceiver();
    const restartAt = sim.now;
    // The links go quiet (the new receiver drops what it does not know); after 3 s each one sends
    // REG2 as a check, the NGPs say the group is gone, and the sender bootstraps: long before the
    // 15 s link timeout.
    expect(
      sim.runUntilTrue(() => senderEventsOf(sim, 'bootstrap').length > 0, restartAt + 8000),
    ).toBe(true);
    const bootstrap = senderEventsOf(sim, 'bootstrap')[0];
    expect(bootstrap?.time).toBeLessThan(restartAt + 5000);
    const downs = senderEventsOf(sim, 'link-down').map((entry) => JSON.stringify(entry.event));
    expect(downs.some((down) => down.includes('registration check'))).toBe(true);
    expect(sim.runUntilTrue(() => linksUp(sim).length === 2, restartAt + 8000)).toBe(true);
    expect(sim.receiver.size).toEqual({ groups: 1, links: 2 });
    // The stream flows again at the full rate (500 pps) within 8 s of the restart.
    sim.runUntil(restartAt + 8000);
    const before = sim.listener.delivered;
    sim.runUntil(restartAt + 13_000);
    expect(sim.listener.delivered - before).toBeGreaterThan(0.99 * 500 * 5);
  });

  it('keeps its links through a registration check a live receiver answers with REG3', () => {
    // Link 2's downlink is black-holed for 4.5 s: its keepalive echoes stop, so it sends
    // registration checks (REG2) that the live receiver answers with REG3 (lost at first, then
    // delivered). The link stays up and nothing bootstraps: only an NGP ends a registration.
    const sim = new Simulation({
      seed: 14,
      links: [
        cleanLink(1, 20),
        { ...cleanLink(2, 35), down: { delayMs: 35, outages: [[10_000, 14_500]] } },
      ],
    });
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    sim.runUntil(13_000);
    const quiet = sim.sender.stats(sim.now).links.find((link) => link.id === 2);
    expect(quiet?.lastProofOfLifeAgoMs).toBeGreaterThan(2500);
    sim.runUntil(30_000);
    expect(linksUp(sim)).toEqual([1, 2]);
    expect(senderEventsOf(sim, 'bootstrap')).toHaveLength(0);
    expect(senderEventsOf(sim, 'link-down')).toHaveLength(0);
    expect(sim.receiver.size).toEqual({ groups: 1, links: 2 });
  });

  it('survives a REG1 flood (no state) and a REG2 flood that fills the group table: pending groups are evicted, live ones untouched', () => {
    const sim = new Simulation({
      seed: 12,
      links: [cleanLink(1, 20), cleanLink(2, 30)],
      receiver: { maxGroups: 10 },
    });
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    sim.stream(10_000);
    sim.runUntil(2000);
    const senderId = new Uint8Array(256).fill(0xab);
    // REG1 is answered statelessly: 300 of them create nothing.
    const answers: Uint8Array[] = [];
    for (let index = 0; index < 300; index++) {
      const from = address(`127.0.${9 + (index >> 8)}.${index & 0xff}`, 20_000 + index);
      sim.receiver.handleDatagram(sim.now, from, encodeReg1(senderId));
      const reply = sim.receiver.pollTransmit();
      if (reply === undefined || classifyDatagram(reply.bytes) !== DatagramKind.SrtlaReg2) {
        throw new Error('no REG2 answer');
      }
      answers.push(reply.bytes.slice());
    }
    expect(sim.receiver.size.groups).toBe(1);
    // An attacker that reads its answers and sends them back fills the table with pending
    // groups, each evicting the oldest pending one: never the live group.
    answers.forEach((reg2, index) => {
      sim.injectToReceiver(
        address(`127.0.${9 + (index >> 8)}.${index & 0xff}`, 20_000 + index),
        reg2,
      );
    });
    expect(sim.receiver.size.groups).toBe(10);
    sim.runUntil(12_000);
    expect(sim.listener.delivered).toBe(sim.encoder.sent);
    const stats = sim.receiver.stats(sim.now);
    expect(stats.groupsEvicted).toBe(300 - 9);
    expect(stats.groups.filter((group) => group.state === 'active')).toHaveLength(1);
    expect(linksUp(sim)).toEqual([1, 2]);
  });

  it('adds a link at run time and removes another, without losing the stream', () => {
    const sim = new Simulation({ seed: 13, links: [cleanLink(1, 20), cleanLink(2, 30)] });
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    sim.stream(20_000);
    sim.runUntil(5000);
    sim.addLink(cleanLink(3, 25));
    expect(sim.runUntilTrue(() => linksUp(sim).includes(3), 7000)).toBe(true);
    sim.runUntil(8000);
    sim.removeLink(2);
    sim.runUntil(30_000);
    expect(linksUp(sim)).toEqual([1, 3]);
    const byLink = sim.sender.stats(sim.now).links;
    // The adaptive scheduler deals by capacity and probes a new link's estimate up: it carries
    // its share of the stream.
    expect(byLink.find((link) => link.id === 3)?.packetsSent).toBeGreaterThan(100);
    // The receiver aged out the removed link; the other two remain.
    expect(receiverEventsOf(sim, 'link-removed')).toHaveLength(1);
    expect(sim.receiver.size).toEqual({ groups: 1, links: 2 });
    // Only packets in flight on the removed link at removal could be lost: none here.
    expect(sim.listener.delivered).toBe(sim.encoder.sent);
  });

  it('re-registers a link whose NAT mapping changed, from its new port', () => {
    const sim = new Simulation({ seed: 14, links: [cleanLink(1, 20), cleanLink(2, 30)] });
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    sim.stream(40_000);
    sim.runUntil(5000);
    sim.rebind(2);
    const rebindAt = sim.now;
    sim.runUntil(35_000);
    // The link went quiet; its registration check (REG2 with the group id) came from the new
    // port, which the receiver took as a new link of the group: back within seconds, and the
    // sender never had to take the link down. The old address times out at the receiver.
    const added = receiverEventsOf(sim, 'link-added');
    expect(added).toHaveLength(3);
    expect(added[2]?.time).toBeLessThan(rebindAt + 5000);
    const removed = receiverEventsOf(sim, 'link-removed');
    expect(removed).toHaveLength(1);
    expect(senderEventsOf(sim, 'link-down')).toEqual([]);
    expect(linksUp(sim)).toEqual([1, 2]);
    expect(sim.receiver.size).toEqual({ groups: 1, links: 2 });
    // After re-registration every packet arrives again.
    const firstSeq = sim.encoder.nextSeq;
    sim.runUntil(40_000);
    const lastSeq = sim.encoder.nextSeq;
    sim.runUntil(41_000);
    for (let seq = firstSeq; seq !== lastSeq; seq++) expect(sim.listener.seen.has(seq)).toBe(true);
  });

  it('refuses links beyond the per-group limit with REG_ERR and leaks no state', () => {
    const sim = new Simulation({
      seed: 15,
      links: [cleanLink(1, 20), cleanLink(2, 25), cleanLink(3, 30)],
      receiver: { maxLinksPerGroup: 2 },
    });
    sim.runUntil(20_000);
    expect(linksUp(sim)).toHaveLength(2);
    expect(sim.receiver.size).toEqual({ groups: 1, links: 2 });
    const refused = receiverEventsOf(sim, 'registration-refused');
    expect(refused.length).toBeGreaterThan(1);
    expect(JSON.stringify(refused[0]?.event)).toContain('maximum of 2 links');
    // The sender backs off: a handful of retries in 20 s, not one per tick.
    const errors = senderEventsOf(sim, 'registration-error');
    expect(errors.length).toBeGreaterThan(1);
    expect(errors.length).toBeLessThan(8);
  });

  it('refuses REG1 when the table is full of live groups, without creating state', () => {
    const sim = new Simulation({
      seed: 16,
      links: [cleanLink(1, 20)],
      receiver: { maxGroups: 1 },
    });
    sim.runUntilTrue(() => linksUp(sim).length === 1, 5000);
    sim.stream(5000);
    sim.runUntil(3000);
    sim.injectToReceiver(address('127.0.9.2', 30_000), encodeReg1(new Uint8Array(256)));
    expect(sim.receiver.size).toEqual({ groups: 1, links: 1 });
    expect(sim.receiver.stats(sim.now).regErrSent).toBe(1);
  });
});
