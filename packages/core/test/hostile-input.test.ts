// Malformed and hostile datagrams at both engines: no exception, counted, no state change.
import fc from 'fast-check';
import { Address, encodeReg1, encodeReg2, encodeSrtlaAck } from '@bond/wire';
import { describe, expect, it } from 'vitest';
import { cleanLink, linksUp } from './sim/scenario.js';
import { Simulation } from './sim/simulation.js';

function address(ip: string, port: number): Address {
  const parsed = Address.parse(ip, port);
  if (parsed === undefined) throw new Error(`bad address ${ip}`);
  return parsed;
}

/** Bytes that look like every kind of thing bond parses, truncated, padded and corrupted. */
const hostileBytes = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 1500 }),
  fc
    .tuple(
      fc.constantFrom(
        0x9000,
        0x9100,
        0x9200,
        0x9201,
        0x9202,
        0x9210,
        0x9211,
        0x9212,
        0x9fff,
        0x8002,
        0x8003,
        0x8000,
      ),
      fc.uint8Array({ minLength: 0, maxLength: 300 }),
    )
    .map(([type, rest]) => Uint8Array.from([type >> 8, type & 0xff, ...rest])),
  fc.integer({ min: 0, max: 600 }).map((length) => new Uint8Array(length).fill(0x92)),
);

function registeredSim(seed: number): Simulation {
  const sim = new Simulation({ seed, links: [cleanLink(1, 20), cleanLink(2, 30)] });
  sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
  return sim;
}

describe('hostile input', () => {
  it('receiver: random datagrams from an unregistered address are dropped and leave no state', () => {
    const sim = registeredSim(31);
    const before = sim.receiver.stats(sim.now);
    const stranger = address('127.0.9.9', 4444);
    let sent = 0;
    fc.assert(
      fc.property(hostileBytes, (bytes) => {
        // REG1/REG2 at exactly 258 bytes are registration, not garbage: covered elsewhere.
        if (bytes.length === 258) return;
        sim.injectToReceiver(stranger, bytes);
        sent++;
      }),
      { numRuns: 2000, seed: 31 },
    );
    const after = sim.receiver.stats(sim.now);
    expect(sim.receiver.size).toEqual({ groups: 1, links: 2 });
    expect(after.droppedUnregistered - before.droppedUnregistered).toBe(sent);
    expect(sim.receiverDataOut).toBe(0);
  });

  it('receiver: garbage from a registered link is counted, never forwarded unless it is SRT', () => {
    const sim = registeredSim(32);
    sim.stream(3000);
    sim.runUntil(1000);
    fc.assert(
      fc.property(hostileBytes, (bytes) => {
        const link = sim.links.get(1);
        if (link === undefined || bytes.length === 258) return;
        sim.injectToReceiver(link.address, bytes);
      }),
      { numRuns: 2000, seed: 32 },
    );
    sim.runUntil(5000);
    expect(sim.receiver.size).toEqual({ groups: 1, links: 2 });
    expect(linksUp(sim)).toEqual([1, 2]);
    // The stream was not disturbed.
    expect(sim.listener.seen.size).toBe(sim.encoder.sent);
    const stats = sim.receiver.stats(sim.now);
    expect(stats.droppedShort + stats.droppedSrtla).toBeGreaterThan(100);
  });

  it('receiver: REG1 and REG2 of the wrong length are not registration', () => {
    const sim = registeredSim(33);
    const stranger = address('127.0.9.8', 4445);
    for (const length of [2, 257, 259, 1000]) {
      const bytes = new Uint8Array(length);
      bytes.set(encodeReg1(new Uint8Array(256)).subarray(0, Math.min(length, 258)));
      sim.injectToReceiver(stranger, bytes);
      bytes[1] = 0x01;
      sim.injectToReceiver(stranger, bytes);
    }
    expect(sim.receiver.size).toEqual({ groups: 1, links: 2 });
    expect(sim.receiver.stats(sim.now).reg1Received).toBe(1);
  });

  it('sender: random datagrams on a link never throw and never change registration', () => {
    const sim = registeredSim(34);
    sim.stream(4000);
    sim.runUntil(1000);
    const dropped = sim.sender.stats(sim.now).droppedFromReceiver;
    let garbage = 0;
    fc.assert(
      fc.property(hostileBytes, (bytes) => {
        // REG_ERR/NGP/REG2 are legitimate registration traffic the sender acts on, so they are not
        // "garbage" here. A REG_NAK is: with links up, no registration of ours waits for one.
        const type = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
        if (bytes.length >= 2 && type >= 0x9200 && type <= 0x9211) return;
        sim.injectToSender(1, bytes);
        garbage++;
      }),
      { numRuns: 2000, seed: 34 },
    );
    sim.runUntil(6000);
    const stats = sim.sender.stats(sim.now);
    expect(stats.phase).toBe('registered');
    expect(linksUp(sim)).toEqual([1, 2]);
    expect(stats.droppedFromReceiver).toBeGreaterThan(dropped);
    expect(garbage).toBeGreaterThan(1000);
    expect(sim.listener.seen.size).toBe(sim.encoder.sent);
  });

  it('sender: a forged REG2 (wrong link or wrong first half) is ignored', () => {
    const sim = new Simulation({ seed: 35, links: [cleanLink(1, 20), cleanLink(2, 300)] });
    sim.runUntil(50);
    // Probes are out; no REG1 answer yet. A REG2 with a foreign id must not be adopted.
    sim.injectToSender(1, encodeReg2(new Uint8Array(256).fill(0x42)));
    sim.injectToSender(2, encodeReg2(new Uint8Array(256).fill(0x42)));
    expect(sim.sender.stats(sim.now).phase).toBe('bootstrap');
    sim.injectToSender(1, encodeSrtlaAck([1, 2, 3]));
    expect(sim.runUntilTrue(() => linksUp(sim).length === 2, 5000)).toBe(true);
  });
});
