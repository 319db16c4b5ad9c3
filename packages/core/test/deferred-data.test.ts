// New data the scheduler refuses under overload waits at the sender and goes out before the next
// new data when a link has room (sender-data-path.ts, "Deferred data"), and a repair that could
// only arrive after the SRT latency is not sent (adaptive-scheduler.ts).
import { peekSrtDataSeq } from '@bond/wire';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveScheduler,
  type PacketHint,
  type Scheduler,
  type SchedulerLink,
} from '../src/index.js';
import { DEFERRED_CAPACITY } from '../src/sender-data-path.js';
import { cleanLink, linksUp } from './sim/scenario.js';
import { Simulation } from './sim/simulation.js';
import { srtData } from '@bond/wire/testing';

/**
 * A scheduler that sends everything on the first link that is up, unless told to refuse new data
 * or repairs; it records the hint of every data packet it is asked about.
 */
class ScriptedScheduler implements Scheduler {
  readonly name = 'scripted';
  refuseNew = false;
  refuseRepairs = false;
  readonly asked: { retransmit: boolean; ageMs: number | undefined; refused: boolean }[] = [];
  select(
    _now: number,
    links: readonly SchedulerLink[],
    _bytes: number,
    packet: PacketHint,
  ): SchedulerLink | undefined {
    const up = links.find((link) => link.up);
    if (!packet.isData) return up;
    const refused = packet.retransmit ? this.refuseRepairs : this.refuseNew;
    this.asked.push({ retransmit: packet.retransmit, ageMs: packet.ageMs, refused });
    return refused ? undefined : up;
  }
  // Nothing else to track.
  addLink(): void {
    /* no state */
  }
  removeLink(): void {
    /* no state */
  }
  linkUp(): void {
    /* no state */
  }
  linkDown(): void {
    /* no state */
  }
  onSent(): void {
    /* no state */
  }
  onSrtlaAck(): void {
    /* no state */
  }
  onSrtlaAckDone(): void {
    /* no state */
  }
  onSrtNak(): void {
    /* no state */
  }
  onKeepaliveEcho(): void {
    /* no state */
  }
  window(): number {
    return 1000;
  }
  stats(): unknown {
    return {};
  }
}

function setup() {
  const scheduler = new ScriptedScheduler();
  const sim = new Simulation({
    seed: 91,
    links: [cleanLink(1, 20)],
    sender: { scheduler },
    // The stand-in encoder does not stream here: the test sends each packet itself.
    encoder: { packetsPerSecond: 1 },
  });
  sim.runUntilTrue(() => linksUp(sim).length === 1, 5000);
  const send = (seq: number, timestampUs: number, retransmitted = false) => {
    sim.sender.handleEncoderDatagram(
      sim.now,
      srtData(seq, { timestamp: timestampUs, payloadBytes: 1316, retransmitted }),
    );
  };
  const sentOnLink = () => sim.sender.stats(sim.now).links[0]?.packetsSent ?? 0;
  return { scheduler, sim, send, sentOnLink };
}

describe('deferred data at the sender', () => {
  it('keeps a refused new packet and sends it before the next one once a link takes it', () => {
    const { scheduler, sim, send } = setup();
    scheduler.refuseNew = true;
    send(100, 1_000_000);
    expect(sim.sender.stats(sim.now)).toMatchObject({
      deferredOverload: 1,
      sentDeferred: 0,
      droppedOverload: 0,
    });
    sim.runUntil(sim.now + 30);
    scheduler.refuseNew = false;
    send(101, 1_030_000);
    // Asked about 100 as new data (refused), then as a repair 30 ms old, then about 101.
    expect(scheduler.asked).toEqual([
      { retransmit: false, ageMs: 0, refused: true },
      { retransmit: true, ageMs: 30, refused: false },
      { retransmit: false, ageMs: 0, refused: false },
    ]);
    sim.runUntil(sim.now + 200);
    expect(sim.listener.seen.has(100)).toBe(true);
    expect(sim.listener.seen.has(101)).toBe(true);
    expect(sim.sender.stats(sim.now)).toMatchObject({
      deferredOverload: 1,
      sentDeferred: 1,
      droppedOverload: 0,
    });
  });

  it('waits while repairs are refused and drops a packet once it is older than the latency', () => {
    const { scheduler, sim, send } = setup();
    scheduler.refuseNew = true;
    send(200, 0);
    scheduler.refuseNew = false;
    scheduler.refuseRepairs = true;
    // No handshake: the fallback latency of 1 s. At 900 ms the copy is still offered (refused)...
    sim.runUntil(sim.now + 900);
    send(201, 900_000);
    expect(scheduler.asked.filter((entry) => entry.retransmit)).toEqual([
      { retransmit: true, ageMs: 900, refused: true },
    ]);
    expect(sim.sender.stats(sim.now).droppedOverload).toBe(0);
    // ...at 1.2 s it is dropped without asking: the listener has given up on it.
    scheduler.refuseRepairs = false;
    sim.runUntil(sim.now + 300);
    send(202, 1_200_000);
    expect(scheduler.asked.filter((entry) => entry.retransmit)).toHaveLength(1);
    expect(sim.sender.stats(sim.now)).toMatchObject({ sentDeferred: 0, droppedOverload: 1 });
    sim.runUntil(sim.now + 200);
    expect(sim.listener.seen.has(200)).toBe(false);
  });

  it('forgets a deferred copy when the encoder retransmits that packet itself', () => {
    const { scheduler, sim, send, sentOnLink } = setup();
    scheduler.refuseNew = true;
    send(300, 0);
    scheduler.refuseNew = false;
    const before = sentOnLink();
    send(300, 0, true);
    send(301, 10_000);
    // The retransmission and 301 went out; the deferred copy of 300 was never offered again.
    expect(sentOnLink() - before).toBe(2);
    expect(scheduler.asked.filter((entry) => entry.retransmit)).toHaveLength(1);
    expect(sim.sender.stats(sim.now)).toMatchObject({ deferredOverload: 1, sentDeferred: 0 });
  });

  it('holds at most DEFERRED_CAPACITY packets; the rest are dropped at once', () => {
    const { scheduler, sim, send } = setup();
    scheduler.refuseNew = true;
    scheduler.refuseRepairs = true;
    for (let seq = 0; seq < DEFERRED_CAPACITY + 5; seq++) send(seq, seq * 1000);
    expect(sim.sender.stats(sim.now)).toMatchObject({
      deferredOverload: DEFERRED_CAPACITY,
      droppedOverload: 5,
    });
    // Room again: all the deferred ones go out, oldest first, before the next new packet.
    scheduler.refuseNew = false;
    scheduler.refuseRepairs = false;
    const askedBefore = scheduler.asked.length;
    send(DEFERRED_CAPACITY + 5, (DEFERRED_CAPACITY + 5) * 1000);
    const asked = scheduler.asked.slice(askedBefore);
    expect(asked.filter((entry) => entry.retransmit)).toHaveLength(DEFERRED_CAPACITY);
    expect(asked.at(-1)).toMatchObject({ retransmit: false, refused: false });
    expect(sim.sender.stats(sim.now).sentDeferred).toBe(DEFERRED_CAPACITY);
    sim.runUntil(sim.now + 200);
    for (let seq = 0; seq < DEFERRED_CAPACITY; seq++) expect(sim.listener.seen.has(seq)).toBe(true);
  });

  it('never rewrites a slot whose bytes the runtime has not read yet', () => {
    // The outbox holds sent datagrams without copying them until the runtime drains it (the
    // runtime hands a whole receive batch to the engine before draining). A full ring sent out
    // in one call, then a refused packet: the slot it would take still holds the first repair.
    const { scheduler, sim, send } = setup();
    scheduler.refuseNew = true;
    scheduler.refuseRepairs = true;
    for (let seq = 0; seq < DEFERRED_CAPACITY; seq++) send(seq, seq * 1000);
    scheduler.refuseRepairs = false;
    const engine = sim.sender;
    engine.handleEncoderDatagram(
      sim.now,
      srtData(DEFERRED_CAPACITY, { timestamp: DEFERRED_CAPACITY * 1000, payloadBytes: 1316 }),
    );
    const seqs: number[] = [];
    for (let t = engine.pollTransmit(); t !== undefined; t = engine.pollTransmit()) {
      if (t.bytes.length > 16 && ((t.bytes[0] ?? 0) & 0x80) === 0)
        seqs.push(peekSrtDataSeq(t.bytes));
    }
    // Every repair went out with its own bytes, in order; the refused packet found no free slot.
    expect(seqs).toEqual(Array.from({ length: DEFERRED_CAPACITY }, (_, seq) => seq));
    expect(engine.stats(sim.now)).toMatchObject({
      sentDeferred: DEFERRED_CAPACITY,
      deferredOverload: DEFERRED_CAPACITY,
      droppedOverload: 1,
    });
    // Once read, the slots are free again.
    send(DEFERRED_CAPACITY + 1, (DEFERRED_CAPACITY + 1) * 1000);
    expect(engine.stats(sim.now).deferredOverload).toBe(DEFERRED_CAPACITY + 1);
  });

  it('gives a retransmission its age from SRT timestamps', () => {
    const { scheduler, sim, send } = setup();
    send(400, 5_000_000);
    sim.runUntil(sim.now + 10);
    send(350, 4_400_000, true);
    // 600 ms behind the newest timestamp, which came 10 ms ago.
    expect(scheduler.asked.at(-1)).toEqual({ retransmit: true, ageMs: 610, refused: false });
  });
});

describe('repairs against the SRT latency', () => {
  it('sends a retransmission only if it can arrive before the latency of its original send', () => {
    const scheduler = new AdaptiveScheduler();
    const link: SchedulerLink & { inFlight: number } = {
      index: 0,
      id: 1,
      up: true,
      priority: 100,
      inFlight: 0,
      srttMs: 100,
    };
    scheduler.addLink(0, link);
    scheduler.linkUp(0, link);
    scheduler.onSrtLatency(0, 1000);
    const repair = (ageMs: number | undefined) =>
      scheduler.select(10, [link], 1332, {
        isData: true,
        retransmit: true,
        previousLink: -1,
        ageMs,
      });
    // Half the RTT (50 ms) to arrive, 50 ms of margin: up to 900 ms old it still makes it.
    expect(repair(500)).toBe(link);
    expect(repair(900)).toBe(link);
    expect(repair(920)).toBeUndefined();
    // Of unknown age: sent.
    expect(repair(undefined)).toBe(link);
    // A longer latency agreed: in time again.
    scheduler.onSrtLatency(20, 2000);
    expect(repair(920)).toBe(link);
  });
});
