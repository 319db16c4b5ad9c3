/**
 * The `--doctor` report both apps print: one line per check (`ok  ` or `FAIL`, the check's name in
 * a column, a detail), opening with the checks both share (Node, the IO backend `auto` picks and
 * why, IPv6), then the app's own. {@link createDoctor} makes an app's doctor from its checks.
 */
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { describeAttempts, selectIoBackend, type BackendSelection } from '@bond/runtime';
import type { IoBackendChoice } from './runtime-settings.js';

export interface DoctorLine {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** An error's message, for a line's detail. */
export function errorDetail(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Undefined when a UDP socket (IPv6 for an IPv6 address) binds `address` port 0, else why not. */
export async function udpBindError(address: string, ipv6Only = false): Promise<string | undefined> {
  const socket = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4', ipv6Only });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => {
        resolve();
      });
    });
    return undefined;
  } catch (error) {
    return errorDetail(error);
  } finally {
    socket.close();
  }
}

/**
 * `io addon`: the native addon file in use (prebuild or source build, and its path), or each file
 * tried and why it did not load; undefined when no native load was attempted (`dgram` asked for).
 */
function addonLine(selection: BackendSelection): DoctorLine | undefined {
  const { addon, attempts } = selection;
  if (addon !== undefined) {
    const after = attempts.length === 0 ? '' : ` (not loaded first: ${describeAttempts(attempts)})`;
    return { check: 'io addon', ok: true, detail: `${addon.kind} ${addon.path}${after}` };
  }
  if (attempts.length === 0) return undefined;
  return { check: 'io addon', ok: false, detail: `none loaded: ${describeAttempts(attempts)}` };
}

/**
 * The checks every app's report opens with: `node`, `io backend` (fails when `auto` or `native`
 * fell back to `dgram`), `io addon` (which native addon file loaded, or why none did; absent for
 * `dgram`), and `ipv6` (binding `::1`; `ipv6Only` as the app binds it).
 */
export async function commonDoctorLines(
  ioBackend: IoBackendChoice | undefined,
  env: Record<string, string | undefined>,
  ipv6Only = false,
): Promise<DoctorLine[]> {
  const lines: DoctorLine[] = [
    {
      check: 'node',
      ok: true,
      detail: `${process.version} on ${process.platform}/${process.arch}`,
    },
  ];
  try {
    const selection = await selectIoBackend(ioBackend, env);
    lines.push({
      check: 'io backend',
      ok: selection.backend.name !== 'dgram' || selection.choice === 'dgram',
      detail: selection.reason,
    });
    const addon = addonLine(selection);
    if (addon !== undefined) lines.push(addon);
  } catch (error) {
    lines.push({ check: 'io backend', ok: false, detail: errorDetail(error) });
  }
  const ipv6 = await udpBindError('::1', ipv6Only);
  lines.push({
    check: 'ipv6',
    ok: ipv6 === undefined,
    detail: ipv6 === undefined ? 'IPv6 loopback binds' : `no IPv6: ${ipv6}`,
  });
  return lines;
}

/** The report's text: one line per check, the name padded to `checkWidth`. */
export function formatDoctor(lines: readonly DoctorLine[], checkWidth: number): string {
  return `${lines
    .map((line) => `${line.ok ? 'ok  ' : 'FAIL'} ${line.check.padEnd(checkWidth)} ${line.detail}`)
    .join('\n')}\n`;
}

export interface DoctorSpec<P> {
  /** The check column's width. */
  readonly checkWidth: number;
  /** Bind the IPv6 check's socket IPv6-only (as the app binds its sockets). Default false. */
  readonly ipv6Only?: boolean;
  /** The app's own checks, run after the common ones. */
  appLines(settings: P): Promise<DoctorLine[]>;
}

// Function properties, not methods: they use no `this` and may be taken off the object.
export interface Doctor<P> {
  /** Every check, the common ones first; `env` is where `BOND_IO_BACKEND` is read. */
  readonly run: (settings: P, env?: Record<string, string | undefined>) => Promise<DoctorLine[]>;
  /** The report's text. */
  readonly format: (lines: readonly DoctorLine[]) => string;
  /** What `runCli` prints for `--doctor`, and whether every check passed. */
  readonly report: (settings: P) => Promise<{ readonly text: string; readonly ok: boolean }>;
}

/** An app's doctor: the common checks, then `spec.appLines`, formatted in `spec.checkWidth`. */
export function createDoctor<P extends { readonly ioBackend?: IoBackendChoice }>(
  spec: DoctorSpec<P>,
): Doctor<P> {
  const run = async (
    settings: P,
    env: Record<string, string | undefined> = process.env,
  ): Promise<DoctorLine[]> => [
    ...(await commonDoctorLines(settings.ioBackend, env, spec.ipv6Only ?? false)),
    ...(await spec.appLines(settings)),
  ];
  const format = (lines: readonly DoctorLine[]) => formatDoctor(lines, spec.checkWidth);
  return {
    run,
    format,
    report: async (settings) => {
      const lines = await run(settings);
      return { text: format(lines), ok: lines.every((line) => line.ok) };
    },
  };
}
