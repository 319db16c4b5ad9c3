/**
 * `--doctor`'s real check of the receiver: one REG1 (a registration with a random sender id, as a
 * sender's first) from one uplink address, and what came back within a timeout, in words. A
 * receiver that accepts answers REG2 (and drops the unused group after its pending timeout);
 * REG_ERR says it runs but takes no new group now; REG_NAK that it refuses this sender.
 */
import { randomFillSync } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import {
  DatagramKind,
  SRTLA_ID_LENGTH,
  WireDecodeError,
  classifyDatagram,
  decodeReg2,
  decodeRegNak,
  encodeReg1,
  groupIdMatchesSender,
  type Address,
} from '@bond/wire';

/** Default wait for the answer, ms: a cellular round trip with margin. */
export const RECEIVER_PROBE_TIMEOUT_MS = 2000;

export type ReceiverProbeOutcome =
  'registered' | 'busy' | 'refused' | 'not-srtla' | 'unreachable' | 'no-answer' | 'error';

export interface ReceiverProbeResult {
  readonly outcome: ReceiverProbeOutcome;
  /** True only for `registered`: the receiver would take this sender. */
  readonly ok: boolean;
  /** What happened, in words, with what to check when it failed. */
  readonly detail: string;
  /** Round trip of the answer, ms; undefined without one. */
  readonly rttMs: number | undefined;
}

export interface ReceiverProbeOptions {
  /** The local address to send from (an uplink's); default: any. */
  readonly bindAddress?: string;
  readonly timeoutMs?: number;
}

const CHECK =
  'check the receiver address and port, that bond-receiver or srtla_rec runs there, and that no firewall drops UDP to it';

function describe(
  receiver: string,
  bytes: Uint8Array,
  senderId: Uint8Array,
  rttMs: number,
): ReceiverProbeResult {
  const ms = `${Math.round(rttMs)} ms`;
  switch (classifyDatagram(bytes)) {
    case DatagramKind.SrtlaReg2: {
      const matches = groupIdMatchesSender(decodeReg2(bytes), senderId);
      return matches
        ? {
            outcome: 'registered',
            ok: true,
            rttMs,
            detail: `${receiver} answered REG1 with REG2 in ${ms}: an SRTLA receiver runs there and accepts this sender`,
          }
        : {
            outcome: 'not-srtla',
            ok: false,
            rttMs,
            detail: `${receiver} answered REG2 for another sender id in ${ms}: not a well-behaved SRTLA receiver`,
          };
    }
    case DatagramKind.SrtlaRegErr:
      return {
        outcome: 'busy',
        ok: false,
        rttMs,
        detail: `${receiver} answered REG_ERR in ${ms}: an SRTLA receiver runs there but takes no new sender now (full, or too many registrations); try again later or raise its limits`,
      };
    case DatagramKind.SrtlaRegNak: {
      let reason = '';
      try {
        // Control characters become spaces: the reason comes from the network.
        for (const char of decodeRegNak(bytes)) {
          const code = char.codePointAt(0) ?? 0;
          reason += code < 0x20 || code === 0x7f ? ' ' : char;
        }
        reason = reason.trim();
      } catch (error) {
        if (!(error instanceof WireDecodeError)) throw error;
      }
      return {
        outcome: 'refused',
        ok: false,
        rttMs,
        detail: `${receiver} refused the registration (REG_NAK${reason === '' ? '' : `: ${reason}`}) in ${ms}`,
      };
    }
    default:
      return {
        outcome: 'not-srtla',
        ok: false,
        rttMs,
        detail: `${receiver} answered in ${ms} with something that is not an SRTLA registration answer: is this the SRT port instead of the SRTLA port?`,
      };
  }
}

/** Sends one REG1 to `receiver` and reports the answer (never throws for network trouble). */
export async function probeReceiver(
  receiver: Address,
  options: ReceiverProbeOptions = {},
): Promise<ReceiverProbeResult> {
  const timeoutMs = options.timeoutMs ?? RECEIVER_PROBE_TIMEOUT_MS;
  const name = receiver.toString();
  const senderId = new Uint8Array(SRTLA_ID_LENGTH);
  randomFillSync(senderId);
  const socket: Socket = createSocket(receiver.family === 6 ? 'udp6' : 'udp4');
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<ReceiverProbeResult>((resolve) => {
      let sentAt = 0;
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ECONNREFUSED') {
          resolve({
            outcome: 'unreachable',
            ok: false,
            rttMs: undefined,
            detail: `nothing listens on ${name} (the host refused the UDP datagram): is bond-receiver or srtla_rec running there, on this port?`,
          });
          return;
        }
        resolve({
          outcome: 'error',
          ok: false,
          rttMs: undefined,
          detail: `cannot send REG1 to ${name}: ${error.message}`,
        });
      });
      socket.on('message', (message) => {
        resolve(describe(name, new Uint8Array(message), senderId, performance.now() - sentAt));
      });
      socket.bind(0, options.bindAddress, () => {
        // Connected: only the receiver's datagrams arrive, and an ICMP refusal becomes an error.
        socket.connect(receiver.port, receiver.ip, () => {
          sentAt = performance.now();
          socket.send(encodeReg1(senderId));
          timer = setTimeout(() => {
            resolve({
              outcome: 'no-answer',
              ok: false,
              rttMs: undefined,
              detail: `no answer to REG1 from ${name} within ${timeoutMs / 1000} s: ${CHECK}`,
            });
          }, timeoutMs);
        });
      });
    });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => {
          resolve();
        });
      } catch {
        resolve(); // never bound: nothing to close
      }
    });
  }
}
