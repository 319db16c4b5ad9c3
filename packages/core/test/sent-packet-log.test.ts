import { SEQ_MAX, seqAdd } from '@bond/wire';
import { describe, expect, it } from 'vitest';
import { SentPacketLog } from '../src/index.js';

/** Counts in-flight per link the way the sender engine does. */
function owner() {
  const inFlight = new Map<number, number>();
  return {
    inFlight,
    add(link: number) {
      inFlight.set(link, (inFlight.get(link) ?? 0) + 1);
    },
    onRemoved(link: number) {
      inFlight.set(link, (inFlight.get(link) ?? 0) - 1);
    },
  };
}

describe('sent packet log', () => {
  it('attributes seqs to links and clears them on SRTLA ACK and SRT ACK, across the wrap', () => {
    const log = new SentPacketLog(1024);
    const books = owner();
    const start = SEQ_MAX - 99;
    for (let index = 0; index < 200; index++) {
      const seq = seqAdd(start, index);
      log.record(seq, index % 2, index, books);
      books.add(index % 2);
    }
    expect(log.linkOf(SEQ_MAX)).toBe(1);
    expect(log.linkOf(0)).toBe(0);
    expect(log.acknowledge(0, 1, books)).toBe(false);
    expect(log.acknowledge(0, 0, books)).toBe(true);
    expect(books.inFlight.get(0)).toBe(99);
    log.acknowledgeBefore(seqAdd(start, 150), books);
    expect(books.inFlight.get(0)).toBe(25);
    expect(books.inFlight.get(1)).toBe(25);
    expect(log.linkOf(seqAdd(start, 149))).toBe(-1);
    expect(log.linkOf(seqAdd(start, 150))).toBe(0);
  });

  it('keeps memory fixed: a packet unacknowledged a whole ring later is evicted and counted', () => {
    const log = new SentPacketLog(16);
    const books = owner();
    for (let seq = 0; seq < 40; seq++) {
      log.record(seq, 0, seq, books);
      books.add(0);
    }
    expect(log.capacity).toBe(16);
    expect(log.evicted).toBe(24);
    expect(books.inFlight.get(0)).toBe(16);
    log.acknowledgeBefore(40, books);
    expect(books.inFlight.get(0)).toBe(0);
  });

  it('moves a retransmitted seq to the link that carried the retransmission', () => {
    const log = new SentPacketLog(64);
    const books = owner();
    log.record(5, 0, 0, books);
    books.add(0);
    expect(log.record(5, 1, 10, books)).toBe(0);
    books.add(1);
    expect(books.inFlight.get(0)).toBe(0);
    expect(log.linkOf(5)).toBe(1);
    expect(log.sentTimeOf(5)).toBe(10);
  });

  it('tells a retransmitted seq apart (its send time is the latest copy), also after its ACK', () => {
    const log = new SentPacketLog(16);
    const books = owner();
    log.record(5, 0, 100, books);
    expect(log.retransmitted(5)).toBe(false);
    log.record(5, 1, 300, books);
    expect(log.retransmitted(5)).toBe(true);
    expect(log.sentTimeOf(5)).toBe(300);
    log.acknowledge(5, 1, books);
    expect(log.retransmitted(5)).toBe(true);
    // The slot reused a ring later by another seq: a first copy again.
    log.record(21, 0, 400, books);
    expect(log.retransmitted(21)).toBe(false);
    expect(log.retransmitted(5)).toBe(false);
  });
});
