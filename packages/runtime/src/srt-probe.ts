/**
 * Asks an SRT listener whether it is there: one induction handshake (version 4, extension 2, type 1;
 * protocol.md 3), as SRTLA receivers send at start, and a wait for its handshake reply.
 */
import {
  DatagramKind,
  SRT_CONTROL,
  SRT_HANDSHAKE_TYPE,
  WireDecodeError,
  classifyDatagram,
  decodeSrtHandshake,
  encodeSrtInductionProbe,
  isHandshakeRejection,
  peekSrtControlType,
} from '@bond/wire';
import {
  createReceiveBatch,
  dgramBackend,
  type BatchSocket,
  type Address,
  type IoBackend,
} from '@bond/io';

export interface SrtProbeOptions {
  /** How long to wait for the reply. Default 1000 ms. */
  readonly timeoutMs?: number;
  /** Backend for the probe's socket. Default `dgram` (one datagram does not need batching). */
  readonly io?: IoBackend;
}

export interface SrtProbeResult {
  /** True when the listener answered with a handshake (an induction reply or a rejection). */
  readonly answered: boolean;
  /** Why not, or what it said, in a few words for a log line. */
  readonly detail: string;
  /** The handshake type of the reply, when there was one. */
  readonly handshakeType?: number;
  /** Milliseconds from probe to reply. */
  readonly rttMs?: number;
}

/** Sends one induction handshake to `target` and waits for the reply. Never throws. */
export async function probeSrtListener(
  target: Address,
  options: SrtProbeOptions = {},
): Promise<SrtProbeResult> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const started = performance.now();
  let settle: (result: SrtProbeResult) => void = () => undefined;
  const outcome = new Promise<SrtProbeResult>((resolve) => {
    settle = resolve;
  });
  let socket: BatchSocket | undefined;
  try {
    socket = await (options.io ?? dgramBackend).open({
      address: target.family === 6 ? '::' : '0.0.0.0',
      connect: target,
      batch: createReceiveBatch({ maxBatch: 8, slotSize: 2048 }),
      onBatch: (batch, count) => {
        for (let i = 0; i < count; i++) {
          const reply = readReply(batch.datagram(i));
          if (reply !== undefined) {
            settle({ ...reply, rttMs: performance.now() - started });
            return;
          }
        }
      },
      onError: (error) => {
        const errno = (error as { errno?: unknown }).errno;
        settle({
          answered: false,
          detail:
            errno === 'ECONNREFUSED'
              ? 'refused: nothing listens on that UDP port'
              : `socket error: ${error.message}`,
        });
      },
    });
    socket.send(encodeSrtInductionProbe());
    const timer = setTimeout(() => {
      settle({ answered: false, detail: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    const result = await outcome;
    clearTimeout(timer);
    return result;
  } catch (error) {
    return {
      answered: false,
      detail: `cannot probe: ${error instanceof Error ? error.message : String(error)}`,
    };
  } finally {
    await socket?.close();
  }
}

function readReply(bytes: Uint8Array): Omit<SrtProbeResult, 'rttMs'> | undefined {
  if (classifyDatagram(bytes) !== DatagramKind.SrtControl) return undefined;
  if (peekSrtControlType(bytes) !== SRT_CONTROL.HANDSHAKE) return undefined;
  try {
    const handshake = decodeSrtHandshake(bytes);
    if (isHandshakeRejection(handshake.handshakeType)) {
      return {
        answered: true,
        handshakeType: handshake.handshakeType,
        detail: `answered with a rejection (handshake type ${handshake.handshakeType})`,
      };
    }
    return {
      answered: true,
      handshakeType: handshake.handshakeType,
      detail:
        handshake.handshakeType === SRT_HANDSHAKE_TYPE.INDUCTION
          ? `answered the induction handshake (SRT version ${handshake.version})`
          : `answered with handshake type ${handshake.handshakeType}`,
    };
  } catch (error) {
    if (error instanceof WireDecodeError) return undefined;
    throw error;
  }
}
