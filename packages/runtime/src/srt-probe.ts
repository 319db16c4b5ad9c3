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

/**
 * Asks SRT listeners whether they are there, again and again, over one socket: the socket is opened
 * at the first probe and kept for the next ones (a probe is then one datagram and a timer), so a
 * watcher that probes twice a second while a listener is down costs no socket set-up per probe.
 * The socket is reopened when the target changes or after a socket error other than a refusal (a
 * connected socket that saw ECONNREFUSED stays usable), and released by {@link SrtProber.close}.
 */
export interface SrtProber {
  /**
   * Sends one induction handshake to `target` and waits for the reply. Never throws. Probes run one
   * after another: a call made while one is in flight waits for it. A late reply to an earlier probe
   * that timed out counts as an answer (the listener is there).
   */
  probe(target: Address): Promise<SrtProbeResult>;
  /** Ends a probe in flight (not answered: "probe stopped") and closes the socket. Idempotent. */
  close(): Promise<void>;
}

/** A {@link SrtProber} over `options.io` (dgram by default), each probe waiting `timeoutMs`. */
export function createSrtProber(options: SrtProbeOptions = {}): SrtProber {
  return new ReusableSrtProber(options.timeoutMs ?? 1000, options.io ?? dgramBackend);
}

/** Sends one induction handshake to `target` and waits for the reply. Never throws. */
export async function probeSrtListener(
  target: Address,
  options: SrtProbeOptions = {},
): Promise<SrtProbeResult> {
  const prober = createSrtProber(options);
  try {
    return await prober.probe(target);
  } finally {
    await prober.close();
  }
}

/** The probe in flight: when it was sent, and how to end it. */
interface PendingProbe {
  readonly started: number;
  readonly settle: (result: SrtProbeResult) => void;
}

class ReusableSrtProber implements SrtProber {
  readonly #timeoutMs: number;
  readonly #io: IoBackend;
  #socket: BatchSocket | undefined;
  /** Where {@link #socket} is connected. */
  #target: Address | undefined;
  /** A socket error other than a refusal happened: reopen before the next probe. */
  #broken = false;
  #pending: PendingProbe | undefined;
  /** The probes, one after another. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(timeoutMs: number, io: IoBackend) {
    this.#timeoutMs = timeoutMs;
    this.#io = io;
  }

  probe(target: Address): Promise<SrtProbeResult> {
    const result = this.#queue.then(() => this.#probeOnce(target));
    this.#queue = result;
    return result;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#pending?.settle({ answered: false, detail: 'probe stopped' });
    // A probe may still be opening its socket: it closes that socket itself (it sees #closed),
    // and resolves only then; the queue never rejects.
    await this.#queue;
    await this.#release();
  }

  async #probeOnce(target: Address): Promise<SrtProbeResult> {
    if (this.#closed) return { answered: false, detail: 'probe stopped' };
    let socket: BatchSocket;
    try {
      socket = await this.#socketFor(target);
    } catch (error) {
      return { answered: false, detail: `cannot probe: ${messageOf(error)}` };
    }
    // close() may have run while the socket was being opened (TypeScript does not see that).
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    if (this.#closed) return { answered: false, detail: 'probe stopped' };
    const started = performance.now();
    const outcome = new Promise<SrtProbeResult>((resolve) => {
      this.#pending = { started, settle: resolve };
    });
    const timer = setTimeout(() => {
      this.#pending?.settle({ answered: false, detail: `no answer within ${this.#timeoutMs} ms` });
    }, this.#timeoutMs);
    try {
      socket.send(encodeSrtInductionProbe());
      return await outcome;
    } catch (error) {
      this.#broken = true;
      return { answered: false, detail: `cannot probe: ${messageOf(error)}` };
    } finally {
      clearTimeout(timer);
      this.#pending = undefined;
    }
  }

  /** The open socket connected to `target`; opens one when there is none, or not to `target`. */
  async #socketFor(target: Address): Promise<BatchSocket> {
    const current = this.#socket;
    if (current !== undefined && !this.#broken && this.#target?.equals(target) === true) {
      return current;
    }
    await this.#release();
    this.#broken = false;
    const socket = await this.#io.open({
      address: target.family === 6 ? '::' : '0.0.0.0',
      connect: target,
      batch: createReceiveBatch({ maxBatch: 8, slotSize: 2048 }),
      onBatch: (batch, count) => {
        const pending = this.#pending;
        if (pending === undefined) return; // a late reply between probes
        for (let i = 0; i < count; i++) {
          const reply = readReply(batch.datagram(i));
          if (reply !== undefined) {
            pending.settle({ ...reply, rttMs: performance.now() - pending.started });
            return;
          }
        }
      },
      onError: (error) => {
        const refused = (error as { errno?: unknown }).errno === 'ECONNREFUSED';
        if (!refused) this.#broken = true;
        this.#pending?.settle({
          answered: false,
          detail: refused
            ? 'refused: nothing listens on that UDP port'
            : `socket error: ${error.message}`,
        });
      },
    });
    if (this.#closed) {
      await socket.close();
      throw new Error('the prober was closed');
    }
    this.#socket = socket;
    this.#target = target;
    return socket;
  }

  async #release(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#target = undefined;
    await socket?.close();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
