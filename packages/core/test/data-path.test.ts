// The data path in virtual time: exactly-once delivery on clean links, wrap-around, and
// reconciliation of every packet's fate on impaired links.
import {
  SEQ_MAX,
  SRT_CONTROL,
  decodeSrtAck,
  peekSrtControlType,
  peekSrtTimestamp,
  seqAdd,
} from '@bond/wire';
import { describe, expect, it } from 'vitest';
import { cleanLink, linksUp } from './sim/scenario.js';
import { Simulation } from './sim/simulation.js';
import { loadTrace } from './sim/sim-path.js';

function seqsSent(sim: Simulation): number[] {
  const out: number[] = [];
  for (let seq = sim.encoder.firstSeq; seq !== sim.encoder.nextSeq; seq = seqAdd(seq, 1)) {
    out.push(seq);
  }
  return out;
}

describe('data path', () => {
  it('delivers every encoder packet exactly once over three clean links', () => {
    const sim = new Simulation({
      seed: 21,
      links: [cleanLink(1, 20), cleanLink(2, 45), cleanLink(3, 80)],
      // No retransmissions: a listener with a 40-packet reorder tolerance NAKs the 60 ms skew,
      // and a retransmitted copy is a new datagram, not a second delivery of the same one.
      encoder: { packetsPerSecond: 1500, retransmit: false },
    });
    sim.runUntilTrue(() => linksUp(sim).length === 3, 5000);
    sim.stream(31_000);
    sim.runUntil(32_000);
    const sent = seqsSent(sim);
    expect(sent.length).toBeGreaterThan(44_000);
    expect(sim.listener.delivered).toBe(sent.length);
    expect(sim.listener.duplicates).toBe(0);
    expect(sim.receiverDataOut).toBe(sent.length);
    expect(sent.every((seq) => sim.listener.seen.has(seq))).toBe(true);
    // 16 Mbit/s over three 10 Mbit/s links: no link can carry it alone, and none sat idle.
    for (const link of sim.sender.stats(sim.now).links) {
      expect(link.packetsSent).toBeGreaterThan(0);
      expect(link.packetsSent).toBeLessThan(0.7 * sent.length);
    }
  });

  it('crosses the sequence wrap mid-stream with no stuck in-flight counts and no lost attribution', () => {
    const sim = new Simulation({
      seed: 22,
      links: [cleanLink(1, 20), cleanLink(2, 40)],
      encoder: { packetsPerSecond: 1000, startSeq: SEQ_MAX - 2999 },
    });
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    sim.stream(11_000);
    sim.runUntil(13_000);
    expect(sim.encoder.nextSeq).toBeLessThan(20_000);
    expect(sim.listener.delivered).toBe(sim.encoder.sent);
    const stats = sim.sender.stats(sim.now);
    for (const link of stats.links) {
      expect(link.inFlight).toBe(0);
      expect(link.packetsAcked).toBeGreaterThan(0.9 * link.packetsSent);
    }
    expect(stats.sentLogEvicted).toBe(0);
    expect(sim.encoder.lastAckSeq).toBe(sim.encoder.nextSeq);
  });

  it('accounts for every packet on impaired links: sent = delivered + dropped, by cause', () => {
    const sim = new Simulation({
      seed: 23,
      links: [
        { id: 1, up: { delayMs: 25, rateBps: 4e6, queueBytes: 60_000, lossRate: 0.02 } },
        {
          id: 2,
          up: { delayMs: 60, rateBps: 3e6, jitterMs: 20, burst: { enter: 0.01, leave: 0.3 } },
        },
        { id: 3, up: { delayMs: 40, rateBps: 6e6, outages: [[8000, 11_000]] } },
      ],
      encoder: { packetsPerSecond: 1000, retransmit: false },
    });
    sim.runUntilTrue(() => linksUp(sim).length === 3, 5000);
    sim.stream(20_000);
    sim.runUntil(23_000);
    const stats = sim.sender.stats(sim.now);
    let linkDrops = 0;
    const byCause = { queue: 0, loss: 0, outage: 0 };
    for (const link of sim.links.values()) {
      const data = link.up.dataCounters;
      linkDrops += data.droppedQueue + data.droppedLoss + data.droppedOutage;
      byCause.queue += data.droppedQueue;
      byCause.loss += data.droppedLoss;
      byCause.outage += data.droppedOutage;
    }
    const receiverDropped = sim.receiverDataIn - sim.receiverDataOut;
    expect(byCause.loss).toBeGreaterThan(0);
    expect(byCause.outage).toBeGreaterThan(0);
    expect(sim.listener.duplicates).toBe(0);
    expect(sim.encoder.sent).toBe(
      sim.listener.delivered +
        sim.listener.arrivedTooLate +
        stats.droppedNoLink +
        stats.droppedOverload +
        linkDrops +
        receiverDropped,
    );
  });

  it('forwards each SRT ACK and NAK the receiver sends on every link to the encoder once', () => {
    const sim = new Simulation({
      seed: 25,
      links: [
        { id: 1, up: { delayMs: 20, rateBps: 10e6, lossRate: 0.01 } },
        { id: 2, up: { delayMs: 45, rateBps: 10e6, lossRate: 0.01 } },
        { id: 3, up: { delayMs: 80, rateBps: 10e6, lossRate: 0.01 } },
      ],
      encoder: { packetsPerSecond: 1000 },
    });
    // Every ACK (by its ACK number) and NAK (by its timestamp) the encoder is handed.
    const handed = { acks: [] as number[], naks: [] as number[] };
    const receive = sim.encoder.receive.bind(sim.encoder);
    sim.encoder.receive = (now, bytes) => {
      const type = peekSrtControlType(bytes);
      if (type === SRT_CONTROL.ACK) handed.acks.push(decodeSrtAck(bytes).ackNumber);
      if (type === SRT_CONTROL.NAK) handed.naks.push(peekSrtTimestamp(bytes));
      return receive(now, bytes);
    };
    sim.runUntilTrue(() => linksUp(sim).length === 3, 5000);
    sim.stream(5_000);
    sim.runUntil(6_000);
    const { listener, encoder } = sim;
    expect(listener.acksSent).toBeGreaterThan(100);
    expect(listener.naksSent).toBeGreaterThan(10);
    // The receiver sent each on all three links; the encoder got each once (the last few ACKs
    // may still be on their way when the run stops).
    expect(new Set(handed.acks).size).toBe(handed.acks.length);
    expect(new Set(handed.naks).size).toBe(handed.naks.length);
    expect(handed.acks.length).toBeGreaterThan(listener.acksSent - 5);
    expect(handed.naks.length).toBe(listener.naksSent);
    const dropped = sim.sender.stats(sim.now).feedbackCopiesDropped;
    expect(dropped).toBeGreaterThan(1.9 * (handed.acks.length + handed.naks.length));
    expect(dropped).toBeLessThanOrEqual(2 * (listener.acksSent + listener.naksSent));
    // Lost packets were still retransmitted and delivered.
    expect(encoder.retransmitted).toBeGreaterThan(10);
    expect(listener.delivered).toBe(encoder.sent);
  });

  it('streams over a replayed cellular trace and keeps the books balanced with retransmission', () => {
    const sim = new Simulation({
      seed: 24,
      links: [
        {
          id: 1,
          up: { delayMs: 30, trace: loadTrace('Verizon-LTE-short.up'), queueBytes: 750_000 },
        },
        {
          id: 2,
          up: { delayMs: 40, trace: loadTrace('TMobile-LTE-short.up'), queueBytes: 750_000 },
        },
      ],
      encoder: { packetsPerSecond: 400 },
    });
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    sim.stream(60_000);
    sim.runUntil(63_000);
    const sent = sim.encoder.sent;
    expect(sim.listener.delivered + sim.listener.tooLate).toBeGreaterThanOrEqual(sent * 0.99);
    expect(sim.listener.delivered).toBeGreaterThan(sent * 0.9);
  });
});
