// The sender engine's registration rules, keepalives and telemetry, driven directly or through the
// simulator (protocol.md 4.1, 5, 6.2, 6.3).
import {
  DatagramKind,
  classifyDatagram,
  decodeKeepalive,
  decodeReg1,
  encodeKeepalive,
  encodeReg2,
  encodeReg3,
  encodeRegErr,
  encodeRegNak,
  encodeRegNgp,
} from '@bond/wire';
import { describe, expect, it } from 'vitest';
import { SenderEngine, createSeededRandom, type SenderEngine as Sender } from '../src/index.js';
import { cleanLink, linksUp, senderEventsOf } from './sim/scenario.js';
import { Simulation } from './sim/simulation.js';

function drainKinds(sender: Sender): { linkId: number; kind: DatagramKind; bytes: Uint8Array }[] {
  const out = [];
  for (let t = sender.pollTransmit(); t !== undefined; t = sender.pollTransmit()) {
    out.push({ linkId: t.linkId, kind: classifyDatagram(t.bytes), bytes: t.bytes.slice() });
  }
  return out;
}

describe('sender engine', () => {
  it('probes every link with REG2 first, then sends REG1 on the first to answer', () => {
    const sender = new SenderEngine({ random: createSeededRandom(1) });
    sender.addLink(0, { id: 1 });
    sender.addLink(0, { id: 2 });
    sender.handleTimeout(0);
    expect(drainKinds(sender).map((t) => [t.linkId, t.kind])).toEqual([
      [1, DatagramKind.SrtlaReg2],
      [2, DatagramKind.SrtlaReg2],
    ]);
    sender.handleLinkDatagram(30, 2, encodeRegNgp({ padTo: 32 }));
    sender.handleLinkDatagram(40, 1, encodeRegNgp());
    expect(drainKinds(sender).map((t) => [t.linkId, t.kind])).toEqual([
      [2, DatagramKind.SrtlaReg1],
    ]);
    expect(sender.stats(40).links.find((l) => l.id === 2)?.srttMs).toBe(30);
  });

  it('ignores NGPs that race with the REG3s after REG2 arrives', () => {
    const sim = new Simulation({
      seed: 41,
      links: [cleanLink(1, 20), cleanLink(2, 30)],
    });
    sim.runUntilTrue(() => senderEventsOf(sim, 'registered').length === 1, 5000);
    // A late NGP (from a probe) arrives after REG2, before any REG3: must not re-bootstrap.
    sim.injectToSender(2, encodeRegNgp());
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    expect(senderEventsOf(sim, 'bootstrap')).toHaveLength(0);
    expect(sim.receiver.size.groups).toBe(1);
  });

  it('ignores a REG_NAK while links are up: one forged packet does not stop the stream', () => {
    const sim = new Simulation({ seed: 42, links: [cleanLink(1, 20), cleanLink(2, 30)] });
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    sim.stream(sim.now + 3000);
    sim.runUntil(sim.now + 1000);
    sim.injectToSender(1, encodeRegNak('forged', { padTo: 32 }));
    sim.runUntil(sim.now + 4000);
    const stats = sim.sender.stats(sim.now);
    expect(stats.phase).toBe('registered');
    expect(stats.regNaksIgnored).toBe(1);
    expect(senderEventsOf(sim, 'refused')).toHaveLength(0);
    expect(linksUp(sim)).toEqual([1, 2]);
    expect(sim.listener.seen.size).toBe(sim.encoder.sent);
  });

  it('believes a REG_NAK only as the answer to its REG1, then retries after 30 s, doubling', () => {
    const sender = new SenderEngine({ random: createSeededRandom(3) });
    sender.addLink(0, { id: 1 });
    sender.addLink(0, { id: 2 });
    sender.handleTimeout(0);
    drainKinds(sender);
    sender.handleLinkDatagram(10, 1, encodeRegNgp());
    expect(drainKinds(sender).map((t) => [t.linkId, t.kind])).toEqual([
      [1, DatagramKind.SrtlaReg1],
    ]);
    // On the link REG1 did not go out on: not an answer to anything of ours.
    sender.handleLinkDatagram(20, 2, encodeRegNak('not for you'));
    expect(sender.stats(20)).toMatchObject({ phase: 'bootstrap', regNaksIgnored: 1 });
    // The answer to REG1: refused, with a retry.
    sender.handleLinkDatagram(30, 1, encodeRegNak('stream key revoked', { padTo: 32 }));
    expect(sender.stats(30)).toMatchObject({
      phase: 'refused',
      refusedReason: 'stream key revoked',
      refusedRetryAt: 30_030,
    });
    const refusals = () => {
      const events = [];
      for (let e = sender.pollEvent(); e !== undefined; e = sender.pollEvent()) {
        if (e.type === 'refused') events.push(e);
      }
      return events;
    };
    expect(refusals()).toEqual([
      { type: 'refused', reason: 'stream key revoked', retryInMs: 30_000 },
    ]);
    expect(sender.pollTimeout()).toBe(30_030);
    sender.handleTimeout(30_029);
    expect(drainKinds(sender)).toEqual([]);
    sender.handleTimeout(30_030);
    expect(sender.stats(30_030).phase).toBe('bootstrap');
    expect(drainKinds(sender).map((t) => t.kind)).toEqual([
      DatagramKind.SrtlaReg2,
      DatagramKind.SrtlaReg2,
    ]);
    // Refused again: the wait doubles.
    sender.handleLinkDatagram(30_040, 2, encodeRegNgp());
    drainKinds(sender);
    sender.handleLinkDatagram(30_050, 2, encodeRegNak('still revoked'));
    expect(refusals()).toEqual([{ type: 'refused', reason: 'still revoked', retryInMs: 60_000 }]);
    expect(sender.pollTimeout()).toBe(90_050);
  });

  it('backs off after REG_ERR on REG1, doubling, and retries', () => {
    const sender = new SenderEngine({ random: createSeededRandom(2), regErrBackoffMs: 1000 });
    sender.addLink(0, { id: 1 });
    sender.handleTimeout(0);
    drainKinds(sender);
    sender.handleLinkDatagram(10, 1, encodeRegNgp());
    expect(drainKinds(sender).map((t) => t.kind)).toEqual([DatagramKind.SrtlaReg1]);
    sender.handleLinkDatagram(20, 1, encodeRegErr());
    expect(sender.pollTimeout()).toBe(1020);
    sender.handleTimeout(500);
    expect(drainKinds(sender)).toEqual([]);
    sender.handleTimeout(1020);
    expect(drainKinds(sender).map((t) => t.kind)).toEqual([DatagramKind.SrtlaReg2]);
    sender.handleLinkDatagram(1030, 1, encodeRegNgp());
    drainKinds(sender);
    sender.handleLinkDatagram(1040, 1, encodeRegErr());
    expect(sender.pollTimeout()).toBe(3040);
  });

  it('sends an extended keepalive with telemetry every second on every up link', () => {
    const sim = new Simulation({ seed: 43, links: [cleanLink(1, 20), cleanLink(2, 30)] });
    sim.recordLinkLog = true;
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    const start = sim.now;
    sim.runUntil(start + 10_000);
    for (const id of [1, 2]) {
      const keepalives = sim.linkLog.filter(
        (e) => e.linkId === id && e.kind === DatagramKind.SrtlaKeepalive && e.time > start,
      );
      expect(keepalives.length).toBeGreaterThanOrEqual(9);
      expect(keepalives.length).toBeLessThanOrEqual(11);
    }
    const stats = sim.sender.stats(sim.now);
    for (const link of stats.links) {
      expect(link.receiver).toBe('bond');
      expect(link.report?.linkId).toBe(link.id);
    }
    // RTT from keepalive echoes: 2 x one-way delay.
    // (Keepalive timestamps are whole milliseconds, so a sample may read up to 1 ms long.)
    expect(stats.links[0]?.srttMs).toBeGreaterThanOrEqual(40);
    expect(stats.links[0]?.srttMs).toBeLessThan(41);
    expect(stats.links[1]?.srttMs).toBeGreaterThanOrEqual(60);
    expect(stats.links[1]?.srttMs).toBeLessThan(61);
  });

  it('tells a legacy receiver apart: it echoes our own trailer back', () => {
    const sender = new SenderEngine({ random: createSeededRandom(3) });
    sender.addLink(0, { id: 1, name: 'wwan0', kind: 'cellular' });
    sender.handleTimeout(0);
    drainKinds(sender);
    // Pretend registration completed through the real path: NGP, REG1, REG2, REG3.
    sender.handleLinkDatagram(5, 1, encodeRegNgp());
    const reg1 = drainKinds(sender)[0]?.bytes ?? new Uint8Array();
    const groupId = new Uint8Array(256);
    groupId.set(reg1.subarray(2, 130));
    sender.handleLinkDatagram(10, 1, Uint8Array.from([0x92, 0x01, ...groupId]));
    sender.handleLinkDatagram(15, 1, Uint8Array.from([0x92, 0x02]));
    sender.handleTimeout(15);
    const keepalive = drainKinds(sender).find((t) => t.kind === DatagramKind.SrtlaKeepalive);
    if (keepalive === undefined) throw new Error('no keepalive');
    const decoded = decodeKeepalive(keepalive.bytes);
    expect(decoded.info?.connId).toBe(1);
    expect(decoded.trailer?.body).toBe('sender');
    if (decoded.trailer?.body === 'sender') {
      expect(decoded.trailer.sender.linkName).toBe('wwan0');
      expect(decoded.trailer.sender.interfaceKind).toBe('cellular');
    }
    // The legacy receiver echoes it byte for byte.
    sender.handleLinkDatagram(55, 1, keepalive.bytes);
    const events = [];
    for (let e = sender.pollEvent(); e !== undefined; e = sender.pollEvent()) events.push(e);
    expect(events).toContainEqual({ type: 'receiver-kind', linkId: 1, kind: 'legacy' });
    // Smoothed RTT: the probe's 5 ms, then the echo's 40 ms at gain 1/8.
    expect(sender.stats(55).links[0]?.srttMs).toBe(5 * 0.875 + 40 * 0.125);
    // A timestamped keepalive echo also gives an RTT sample but says nothing about the receiver.
    sender.handleLinkDatagram(60, 1, encodeKeepalive({ timestampMs: 30 }));
    expect(sender.stats(60).links[0]?.receiver).toBe('legacy');
  });

  it('takes a silent link out after the link timeout and re-registers it when it is back', () => {
    const sim = new Simulation({
      seed: 44,
      links: [
        cleanLink(1, 20),
        {
          id: 2,
          up: { delayMs: 30, rateBps: 10e6 },
          down: { delayMs: 30, outages: [[5000, 25_000]] },
        },
      ],
    });
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    sim.stream(40_000);
    sim.runUntil(21_000);
    expect(linksUp(sim)).toEqual([1]);
    const down = senderEventsOf(sim, 'link-down')[0];
    expect(down?.time).toBeGreaterThanOrEqual(5000 + 15_000 - 1000);
    expect(down?.time).toBeLessThan(5000 + 15_000 + 1000);
    expect(sim.runUntilTrue(() => linksUp(sim).length === 2, 30_000)).toBe(true);
  });

  it('takes a silent link down at its timeout deadline when that is a fractional instant (no wake-up loop)', () => {
    // Regression: the deadline was lastProof + timeout, the check now - lastProof >= timeout,
    // and in floating point (a + 15000) - a can be 14999.999...: woken at its own deadline, the
    // engine did nothing and asked to be woken at the same instant again, forever.
    const sender = new SenderEngine({ random: createSeededRandom(5) });
    sender.addLink(0, { id: 1 });
    sender.handleTimeout(0);
    drainKinds(sender);
    sender.handleLinkDatagram(10, 1, encodeRegNgp());
    const reg1 = drainKinds(sender).find((t) => t.kind === DatagramKind.SrtlaReg1);
    expect(reg1).toBeDefined();
    sender.handleLinkDatagram(20, 1, encodeReg2(decodeReg1(reg1?.bytes ?? new Uint8Array(0))));
    drainKinds(sender);
    const upAt = 5417.76213945442;
    expect(upAt + 15_000 - upAt).toBeLessThan(15_000);
    sender.handleLinkDatagram(upAt, 1, encodeReg3());
    drainKinds(sender);
    let downAt: number | undefined;
    for (let step = 0; step < 100 && downAt === undefined; step++) {
      const at = sender.pollTimeout();
      if (at === undefined) break;
      sender.handleTimeout(at);
      drainKinds(sender);
      for (let e = sender.pollEvent(); e !== undefined; e = sender.pollEvent()) {
        if (e.type === 'link-down') downAt = at;
      }
      // Every wake-up did its work: the next deadline is later.
      if (downAt === undefined) expect(sender.pollTimeout()).toBeGreaterThan(at);
    }
    expect(downAt).toBe(upAt + 15_000);
  });

  it('disables a link with priority 0', () => {
    const sim = new Simulation({
      seed: 45,
      links: [cleanLink(1, 20), { ...cleanLink(2, 20), priority: 0 }],
    });
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    sim.stream(5000);
    sim.runUntil(6000);
    const links = sim.sender.stats(sim.now).links;
    expect(links.find((l) => l.id === 2)?.packetsSent).toBe(0);
    expect(links.find((l) => l.id === 1)?.packetsSent).toBe(sim.encoder.sent);
  });

  it('rejects invalid configuration and duplicate link ids with clear messages', () => {
    expect(() => new SenderEngine({ random: createSeededRandom(1), linkTimeoutMs: 0 })).toThrow(
      /linkTimeoutMs must be a positive number of milliseconds, got 0/,
    );
    const sender = new SenderEngine({ random: createSeededRandom(1) });
    sender.addLink(0, { id: 7 });
    expect(() => {
      sender.addLink(0, { id: 7 });
    }).toThrow(/link id 7 is already in use/);
  });
});
