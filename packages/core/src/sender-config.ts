/**
 * The sender engine's settings: {@link SenderOptions} checked, with the defaults filled in.
 */
import { InvalidConfigError } from './errors.js';
import type { SenderOptions } from './sender-types.js';

export const SENDER_DEFAULTS = {
  linkTimeoutMs: 15_000,
  keepaliveIntervalMs: 1000,
  // 3 s: three keepalive periods without an answer, well before the 15 s link timeout.
  registrationCheckMs: 3000,
  probeWaitMs: 500,
  reg1TimeoutMs: 2000,
  reg2RetryMs: 1000,
  reg2RetryMaxMs: 8000,
  // 4 s: the reference sender's window for NGPs racing with REG3s (protocol.md 4.1).
  ngpIgnoreMs: 4000,
  regErrBackoffMs: 1000,
  regErrBackoffMaxMs: 16_000,
  sentLogCapacity: 65536,
} as const;

export interface SenderConfig {
  readonly linkTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  readonly registrationCheckMs: number;
  readonly probeWaitMs: number;
  readonly reg1TimeoutMs: number;
  readonly reg2RetryMs: number;
  readonly ngpIgnoreMs: number;
  readonly regErrBackoffMs: number;
  readonly telemetry: boolean;
  readonly srtAckClearsInFlight: boolean;
  readonly sentLogCapacity: number;
}

/** Checks `options` and fills in the defaults. Throws {@link InvalidConfigError}. */
export function resolveSenderConfig(options: SenderOptions): SenderConfig {
  const linkTimeoutMs = positive(
    'linkTimeoutMs',
    options.linkTimeoutMs,
    SENDER_DEFAULTS.linkTimeoutMs,
  );
  return {
    linkTimeoutMs,
    registrationCheckMs: Math.min(
      linkTimeoutMs,
      positive(
        'registrationCheckMs',
        options.registrationCheckMs,
        SENDER_DEFAULTS.registrationCheckMs,
      ),
    ),
    keepaliveIntervalMs: positive(
      'keepaliveIntervalMs',
      options.keepaliveIntervalMs,
      SENDER_DEFAULTS.keepaliveIntervalMs,
    ),
    probeWaitMs: positive('probeWaitMs', options.probeWaitMs, SENDER_DEFAULTS.probeWaitMs),
    reg1TimeoutMs: positive('reg1TimeoutMs', options.reg1TimeoutMs, SENDER_DEFAULTS.reg1TimeoutMs),
    reg2RetryMs: positive('reg2RetryMs', options.reg2RetryMs, SENDER_DEFAULTS.reg2RetryMs),
    ngpIgnoreMs: positive('ngpIgnoreMs', options.ngpIgnoreMs, SENDER_DEFAULTS.ngpIgnoreMs),
    regErrBackoffMs: positive(
      'regErrBackoffMs',
      options.regErrBackoffMs,
      SENDER_DEFAULTS.regErrBackoffMs,
    ),
    telemetry: options.telemetry ?? true,
    srtAckClearsInFlight: options.srtAckClearsInFlight ?? true,
    sentLogCapacity: positive(
      'sentLogCapacity',
      options.sentLogCapacity,
      SENDER_DEFAULTS.sentLogCapacity,
    ),
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0)) {
    throw new InvalidConfigError(`${name} must be a positive number of milliseconds, got ${value}`);
  }
  return value;
}
