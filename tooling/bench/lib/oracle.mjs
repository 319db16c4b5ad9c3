// The quality benchmark's oracle: the most packets a scheduler that knew every link's future
// capacity could have delivered in time, for the same stream on the same emulated links.
//
// Each packet (its size on the wire), sent at the stream's rate from the moment the run's stream
// started, goes on the link where it would arrive earliest: that link's bottleneck (linkem's own
// `Bottleneck`, so the rate or trace opportunities and the idle-opportunity rule are exactly the
// emulator's) behind the packets already placed there, plus the link's one-way delay. A link whose
// queue would hold it longer than its `queueMs` is not a choice (linkem would drop it there). The
// packet counts if it arrives within the SRT latency of its send time; one that cannot arrive in
// time anywhere is not sent at all, so it takes no capacity from the packets after it.
//
// This is an upper bound for schedulers that send each packet once: no random loss (the trace
// scenarios have none), no retransmissions, no keepalive or ACK overhead, no start-up probing.
import { Bottleneck, loadTrace } from '@bond/linkem';

const traces = new Map();

/** linkem's CapacityTrace for `file`, loaded once per process. */
function traceOf(file) {
  let trace = traces.get(file);
  if (trace === undefined) {
    trace = loadTrace(file);
    traces.set(file, trace);
  }
  return trace;
}

/**
 * @param {object} input
 * @param {{ name: string, up: { trace?: string, rateBps?: number, delayMs?: number, queueMs?: number } }[]} input.links
 * @param {number} input.packets packets the stream sent
 * @param {number} input.intervalMs time between two packets, ms
 * @param {number} input.startMs when the first was sent, on the emulator's clock (a trace's time)
 * @param {number} input.wireBytes one packet's size as the links carry it, bytes
 * @param {number} input.latencyMs the SRT latency: how late a packet may arrive and still count
 * @returns {{ packets: number, delivered: number, fraction: number, perLink: Record<string, number>, delay: { p50Ms: number, p95Ms: number } }}
 */
export function oracleDelivered({ links, packets, intervalMs, startMs, wireBytes, latencyMs }) {
  if (!(packets >= 0) || !(intervalMs > 0) || !(wireBytes > 0) || !(latencyMs > 0)) {
    throw new Error(
      'oracleDelivered: packets >= 0, intervalMs > 0, wireBytes > 0 and latencyMs > 0',
    );
  }
  if (links.length === 0) throw new Error('oracleDelivered: give at least one link');
  const paths = links.map((link) => ({
    name: link.name,
    bottleneck: new Bottleneck({
      rateBps: link.up.rateBps,
      trace: link.up.trace === undefined ? undefined : traceOf(link.up.trace),
    }),
    delayMs: link.up.delayMs ?? 0,
    queueMs: link.up.queueMs ?? Number.POSITIVE_INFINITY,
    placed: 0,
  }));
  const delays = [];
  let delivered = 0;
  for (let index = 0; index < packets; index++) {
    const sentAt = startMs + index * intervalMs;
    let best;
    let bestArrival = Number.POSITIVE_INFINITY;
    for (const path of paths) {
      const departure = path.bottleneck.departure(sentAt, wireBytes);
      if (departure - sentAt > path.queueMs) continue;
      const arrival = departure + path.delayMs;
      if (arrival < bestArrival) {
        bestArrival = arrival;
        best = path;
      }
    }
    if (best === undefined || bestArrival - sentAt > latencyMs) continue;
    best.bottleneck.admit(sentAt, wireBytes);
    best.placed++;
    delivered++;
    delays.push(bestArrival - sentAt);
  }
  delays.sort((a, b) => a - b);
  const at = (q) =>
    delays.length === 0 ? NaN : delays[Math.min(delays.length - 1, Math.floor(q * delays.length))];
  return {
    packets,
    delivered,
    fraction: packets === 0 ? NaN : delivered / packets,
    perLink: Object.fromEntries(paths.map((path) => [path.name, path.placed])),
    delay: { p50Ms: at(0.5), p95Ms: at(0.95) },
  };
}
