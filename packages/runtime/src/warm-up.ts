/**
 * Runs the receiver engine's registration path on throwaway engines at start, so the first
 * registrations of real senders (and of attackers' floods) find that code compiled and its
 * inline caches warm. Measured on a quiet machine before this: the first REG1 a receiver answered
 * took about 2 ms, later ones about 0.1 ms. Nothing leaves the process: the throwaway engines have
 * no sockets, and what they queue is dropped.
 *
 * The optimiser specialises on the values it has seen: a 32-bit word that was always below 2^31
 * while warming is compiled as a small integer, and the code is thrown away (deoptimised) the
 * first time a real key or id has its top bit set, in the middle of whatever the receiver is
 * doing. So the throwaway engines' keys and ids cover both ends: one engine's key bytes are all
 * 0x00, one's all 0xff, one's random, and the sender halves are random.
 */
import { ReceiverEngine, type RandomSource } from '@bond/core';
import {
  Address,
  SRTLA_ID_HALF_LENGTH,
  SRTLA_REG_LENGTH,
  encodeReg1,
  encodeReg2,
} from '@bond/wire';
import { randomFillSync } from 'node:crypto';
import { createSocket } from 'node:dgram';

/** Registrations run through each throwaway engine (a few milliseconds of CPU at start). */
const ROUNDS_PER_ENGINE = 32;

/** Key bytes all `fill`, or random when undefined; the floats are random either way. */
function keyedRandom(fill: number | undefined): RandomSource {
  return {
    fillBytes: (bytes) => {
      if (fill === undefined) randomFillSync(bytes);
      else bytes.fill(fill);
    },
    nextFloat: () => Math.random(),
  };
}

export function warmUpRegistration(): void {
  const senderHalf = new Uint8Array(SRTLA_ID_HALF_LENGTH);
  let port = 1024;
  for (const fill of [0x00, 0xff, undefined]) {
    const engine = new ReceiverEngine({ random: keyedRandom(fill) });
    for (let round = 0; round < ROUNDS_PER_ENGINE; round++) {
      const from = Address.parse('192.0.2.1', port++);
      if (from === undefined) return;
      randomFillSync(senderHalf);
      engine.handleDatagram(round, from, encodeReg1(senderHalf));
      let answer: Uint8Array | undefined;
      for (let sent = engine.pollTransmit(); sent !== undefined; sent = engine.pollTransmit()) {
        answer ??= sent.bytes.slice(2);
      }
      // Every fourth answer comes back as REG2 (creates a pending group); the others are forged.
      if (answer !== undefined) {
        const last = answer.length - 1;
        if (round % 4 !== 0) answer[last] = (answer[last] ?? 0) ^ 1;
        engine.handleDatagram(round, from, encodeReg2(answer));
      }
      while (engine.pollTransmit() !== undefined);
      while (engine.pollEvent() !== undefined);
    }
  }
}

/** REG1 sent to the receiver's own listening socket at start, in rounds of this many. */
const LISTEN_WARM_UP_ROUNDS = 24;
const LISTEN_WARM_UP_BURST = 32;
/** The whole warm-up gives up after this long (a firewall eating loopback, a busy host). */
const LISTEN_WARM_UP_LIMIT_MS = 1_000;
/** One round waits this long at most for its answers. */
const LISTEN_WARM_UP_ROUND_MS = 100;

/** What {@link warmUpListeningPath} did. */
export interface ListenWarmUp {
  sent: number;
  answered: number;
  ms: number;
}

/**
 * Where a client on this host reaches a socket bound to `local`: loopback for a wildcard bind (over
 * IPv4 unless the socket takes IPv6 only, as most senders arrive over IPv4), else the bound address.
 */
export function warmUpTarget(
  local: Address,
  ipv6Only: boolean,
): { ip: string; family: 'udp4' | 'udp6' } {
  if (local.ip === '0.0.0.0') return { ip: '127.0.0.1', family: 'udp4' };
  if (local.ip === '::')
    return ipv6Only ? { ip: '::1', family: 'udp6' } : { ip: '127.0.0.1', family: 'udp4' };
  return { ip: local.ip, family: local.family === 6 ? 'udp6' : 'udp4' };
}

/**
 * Sends REG1 from a throwaway loopback socket to the receiver's own listening socket, in bursts,
 * and waits for the answers: the real listening path (the IO backend's receive batch, the
 * runtime's batch handler, the engine's cookie, the send back) runs a few hundred times and is
 * compiled and optimised before the first sender, or the first flood, arrives. Measured before
 * this: a receiver idle since start answered REG1 2-5 ms late in the first second of its first
 * traffic while that code was compiled. REG1 answers keep no state (the cookie), so nothing stays
 * behind; the caller takes the warm-up's datagrams out of its counters. Bounded in time; never
 * throws (a host where it cannot run just starts cold).
 */
export async function warmUpListeningPath(
  local: Address,
  ipv6Only: boolean,
): Promise<ListenWarmUp> {
  const started = performance.now();
  const target = warmUpTarget(local, ipv6Only);
  const socket = createSocket(target.family);
  let answered = 0;
  let sent = 0;
  let wake: (() => void) | undefined;
  let waitingFor = 0;
  socket.on('message', (message) => {
    if (message.length === SRTLA_REG_LENGTH) answered++;
    if (answered >= waitingFor) wake?.();
  });
  socket.on('error', () => wake?.());
  /** Waits (at most `ms`) until `count` answers in all have come; how many have. */
  const answeredBy = async (count: number, ms: number): Promise<number> => {
    if (answered < count) {
      waitingFor = count;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, ms).unref();
      });
      wake = undefined;
    }
    return answered;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, target.family === 'udp6' ? '::1' : '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const senderHalf = new Uint8Array(SRTLA_ID_HALF_LENGTH);
    for (let round = 0; round < LISTEN_WARM_UP_ROUNDS; round++) {
      if (performance.now() - started > LISTEN_WARM_UP_LIMIT_MS) break;
      // Bursts of every size up to the full one, so the batch handler sees batches of 1 and many.
      const burst = round % 3 === 0 ? 1 + (round % LISTEN_WARM_UP_BURST) : LISTEN_WARM_UP_BURST;
      const expected = answered + burst;
      for (let i = 0; i < burst; i++) {
        randomFillSync(senderHalf);
        socket.send(encodeReg1(senderHalf), local.port, target.ip);
        sent++;
      }
      // The first REG1 runs the coldest code: on a busy host its answer may take longer than a
      // round, so it gets one more wait. If it still has not come (a loopback this socket does not
      // hear, say), start cold now rather than spend the whole bound on rounds no one answers.
      if (
        (await answeredBy(expected, LISTEN_WARM_UP_ROUND_MS)) === 0 &&
        (await answeredBy(1, LISTEN_WARM_UP_ROUND_MS * 2)) === 0
      ) {
        return { sent, answered: 0, ms: performance.now() - started };
      }
    }
    // A round that timed out may have left answers on their way: wait for them (bounded), so what
    // the caller counts as the warm-up's is all of it.
    await answeredBy(sent, LISTEN_WARM_UP_ROUND_MS * 2);
  } catch {
    // Cannot bind or send on loopback here: start cold.
  } finally {
    socket.close();
  }
  return { sent, answered, ms: performance.now() - started };
}
