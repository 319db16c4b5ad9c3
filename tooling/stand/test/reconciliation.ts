/**
 * The equalities bond's counters must satisfy in an end-to-end run: every hop between bond-sender
 * and bond-receiver, both ways, accounts for each datagram (what linkem dropped aside), and SRT's
 * own counts agree with bond's. Each check returns its mismatches, for `settledCounters`.
 */
import type { EndsKind, SrtStats } from '../src/index.js';
import {
  differs,
  droppedTotal,
  outside,
  receiverLink,
  sum,
  type CounterReading,
} from './stand-counters.js';

/** srt-live-transmit writes a stats line every this many payloads (the stand's `-s:`). */
const SRT_STATS_EVERY = 100;

/**
 * The hops between bond-sender and bond-receiver, both ways, for every link: nothing lost or
 * invented that linkem did not drop. Holds for any run once the traffic stands still.
 */
export function pathMismatches({ sender, links, receiver }: CounterReading): string[] {
  const problems: string[] = [];
  const group = receiver.groups[0];
  problems.push(...differs('groups at bond-receiver', receiver.groups.length, 1));
  for (const link of links) {
    const atSender = sender.links.find((l) => l.name === link.name);
    if (atSender === undefined) continue; // removed by a reload: only linkem's view is left
    const name = `link ${link.name}`;
    problems.push(
      ...differs(
        `${name}: bond-sender socket datagramsSent vs linkem up.offered`,
        atSender.socket.datagramsSent ?? -1,
        link.up.offered,
      ),
      ...differs(
        `${name}: linkem up.offered vs delivered + dropped`,
        link.up.offered,
        link.up.delivered + droppedTotal(link.up),
      ),
      ...differs(
        `${name}: linkem down.offered vs delivered + dropped`,
        link.down.offered,
        link.down.delivered + droppedTotal(link.down),
      ),
      ...differs(
        `${name}: bond-sender socket datagramsReceived vs linkem down.delivered`,
        atSender.socket.datagramsReceived ?? -1,
        link.down.delivered,
      ),
    );
    const atReceiver = receiverLink(receiver, link);
    if (atReceiver === undefined) {
      problems.push(`${name}: bond-receiver has no link from 127.0.0.1:${link.upstreamPort}`);
      continue;
    }
    // SRT datagrams of the link: all the receiver got from it since it registered, keepalives
    // aside; at most linkem's drops fewer than the sender put on it.
    const srtAtReceiver = (atReceiver.packetsReceived ?? -1) - (atReceiver.keepalives ?? 0);
    problems.push(
      ...outside(
        `${name}: SRT datagrams bond-sender sent (${atSender.engine?.packetsSent}) - bond-receiver got (packetsReceived - keepalives)`,
        (atSender.engine?.packetsSent ?? -1) - srtAtReceiver,
        0,
        droppedTotal(link.up),
      ),
    );
  }
  const totals = receiver.totals;
  problems.push(
    ...differs(
      "bond-receiver datagramsReceived vs linkem's up.delivered, all links",
      totals?.datagramsReceived ?? -1,
      sum(links.map((link) => link.up.delivered)),
    ),
    ...differs(
      "bond-receiver sentToSenders vs linkem's down.offered, all links",
      totals?.sentToSenders ?? -1,
      sum(links.map((link) => link.down.offered)),
    ),
  );
  // A link removed by a reload is gone from bond-sender's stats, its counts with it: the sender's
  // totals can only be checked while it still has every link linkem knows.
  const complete = links.every((link) => sender.links.some((l) => l.name === link.name));
  if (!complete) return problems;
  const sentByLinks = sum(sender.links.map((link) => link.engine?.packetsSent ?? 0));
  problems.push(
    ...differs(
      'bond-sender packetsFromEncoder vs SRT datagrams its links sent + dropped (overload, no link)',
      sender.packetsFromEncoder,
      sentByLinks + sender.droppedOverload + sender.droppedNoLink,
    ),
  );
  if (group !== undefined) {
    const upDropped = sum(links.map((link) => droppedTotal(link.up)));
    const downDropped = sum(links.map((link) => droppedTotal(link.down)));
    problems.push(
      ...outside(
        "SRT datagrams bond-sender's links sent - bond-receiver's group took (forwarded + duplicates it dropped)",
        sentByLinks -
          (group.packetsForwarded + sum(group.links.map((link) => link.duplicates ?? 0))),
        0,
        upDropped,
      ),
      ...outside(
        "SRT datagrams bond-receiver sent the group's links - bond-sender passed to the encoder (or dropped as copies)",
        (group.packetsToSenders ?? -1) -
          ((sender.packetsToEncoder ?? 0) +
            (sender.feedbackCopiesDropped ?? 0) +
            (sender.droppedNoEncoder ?? 0)),
        0,
        downDropped,
      ),
    );
  }
  return problems;
}

/**
 * SRT's own counts against bond's. The built-in ends count live and send only data upstream, so
 * their counts are exact; srt-live-transmit writes its stats every {@link SRT_STATS_EVERY}
 * payloads, so its last line is a past state, never ahead of bond's counts.
 */
export function srtMismatches(
  ends: EndsKind,
  srt: SrtStats,
  { sender, receiver }: CounterReading,
): string[] {
  const group = receiver.groups[0];
  const dataAtReceiver = sum(
    receiver.groups.flatMap((g) => g.links.map((link) => link.dataPackets)),
  );
  const dropped = sender.droppedOverload + sender.droppedNoLink;
  const caller = srt.caller;
  const listener = srt.listener;
  if (caller === undefined || listener === undefined) return ['no SRT stats from the ends'];
  if (ends === 'builtin') {
    return [
      ...differs(
        'built-in source packets (sent + retransmitted) vs bond-sender packetsFromEncoder',
        caller.packets,
        sender.packetsFromEncoder,
      ),
      ...differs(
        'built-in sink packets received vs bond-receiver forwardedToListener',
        listener.packets,
        receiver.totals?.forwardedToListener ?? -1,
      ),
      ...differs('built-in sink packets dropped (too late)', listener.packetsDropped, 0),
    ];
  }
  return [
    ...outside(
      'srt-live-transmit caller packets (at its last stats line) vs data bond-receiver got + bond-sender dropped',
      caller.packets,
      Math.max(0, dataAtReceiver + dropped - 4 * SRT_STATS_EVERY),
      dataAtReceiver + dropped,
    ),
    ...outside(
      'srt-live-transmit listener packets (at its last stats line) vs data bond-receiver got',
      listener.packets,
      Math.max(0, dataAtReceiver - 4 * SRT_STATS_EVERY),
      dataAtReceiver,
    ),
    ...differs('srt-live-transmit listener packets dropped (too late)', listener.packetsDropped, 0),
    ...differs('srt-live-transmit caller packets dropped', caller.packetsDropped, 0),
    ...(group === undefined ? ['no group at bond-receiver'] : []),
  ];
}

/** Clean links drop nothing, either way. */
export function cleanLinkMismatches({ links }: CounterReading): string[] {
  return links.flatMap((link) => [
    ...differs(`link ${link.name}: linkem dropped up`, droppedTotal(link.up), 0),
    ...differs(`link ${link.name}: linkem dropped down`, droppedTotal(link.down), 0),
  ]);
}
