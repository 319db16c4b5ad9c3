/**
 * Loopback UDP stand-ins for tests: a bound socket that is closed with the test (a sink, a fake SRT
 * listener, a caller), and an encoder that feeds numbered SRT data packets into a port.
 *
 * They live in `@bond/io/testing` next to `waitFor` because every test project may depend on
 * `@bond/io` (apps -> runtime -> io; tooling may depend on anything). Each takes the test's
 * `defer` (a function that registers a stop to run after the test, such as the one
 * `cleanupAfterEach` returns), so the socket is closed also when the test fails.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { srtData } from '@bond/wire/testing';

/** Registers `stop` to run when the test ends, pass or fail. */
export type DeferStop = (stop: () => Promise<void>) => void;

/** Closes `socket`; resolves once it is closed, or at once if it already was. */
function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => {
        resolve();
      });
    } catch {
      resolve(); // already closed
    }
  });
}

/**
 * A UDP socket bound on `address` (127.0.0.1 by default) at a free port that hands each datagram to
 * `onMessage` (by default drops it), closed through `defer`, also when the test fails. Rejects with
 * the bind error (an address that is not local, for example).
 */
export async function boundUdpSocket(
  defer: DeferStop,
  onMessage: (message: Buffer, from: RemoteInfo) => void = () => undefined,
  address = '127.0.0.1',
): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', onMessage);
  defer(() => closeSocket(socket));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

/** What {@link feedSrtData} sends, and where. */
export interface SrtFeedOptions {
  /** The UDP port on 127.0.0.1 the packets go to (a sender's encoder port, say). */
  readonly port: number;
  /** Payload bytes of each packet (1316: seven MPEG-TS packets). */
  readonly payloadBytes: number;
  /** The SRT destination socket id the packets carry (a sink tells streams apart by it). Default 9. */
  readonly destinationSocketId?: number;
  /** Start paused: nothing is sent until {@link SrtFeed.resume}. Default false. */
  readonly paused?: boolean;
}

/** A running {@link feedSrtData} encoder stand-in (its functions may be passed around alone). */
export interface SrtFeed {
  /** How many packets were sent: the next packet's seq (the first is 0). */
  readonly sent: () => number;
  /** Stops sending until {@link SrtFeed.resume}; the timer keeps running. */
  readonly pause: () => void;
  /** Sends again after {@link SrtFeed.pause} (or a paused start). */
  readonly resume: () => void;
  /** Stops for good and closes the socket; safe to call again. */
  readonly stop: () => Promise<void>;
}

/** Packets per tick and the tick: 2 every 10 ms, 200 packets a second. */
const PACKETS_PER_TICK = 2;
const TICK_MS = 10;

/**
 * An encoder stand-in: 200 SRT data packets a second (2 every 10 ms) to 127.0.0.1:`port`, with seq
 * 0, 1, 2, ..., message number seq + 1 and timestamp seq * 5 ms, until stopped. Its socket and timer
 * go through `defer`, also when the test fails.
 */
export async function feedSrtData(defer: DeferStop, options: SrtFeedOptions): Promise<SrtFeed> {
  const { port, payloadBytes, destinationSocketId = 9 } = options;
  const encoder = await boundUdpSocket(defer);
  let seq = 0;
  let feeding = options.paused !== true;
  const timer = setInterval(() => {
    if (!feeding) return;
    for (let i = 0; i < PACKETS_PER_TICK; i++) {
      const packet = srtData(seq, {
        messageNumber: seq + 1,
        timestamp: seq * 5000,
        destinationSocketId,
        payloadBytes,
      });
      seq++;
      encoder.send(packet, port, '127.0.0.1');
    }
  }, TICK_MS);
  const stop = () => {
    clearInterval(timer);
    feeding = false;
    return closeSocket(encoder);
  };
  defer(stop);
  return {
    sent: () => seq,
    pause: () => {
      feeding = false;
    },
    resume: () => {
      feeding = true;
    },
    stop,
  };
}
