/**
 * `bond-receiver --doctor`: what this machine offers the receiver, in plain lines: Node, the IO
 * backend `auto` picks and why, IPv6 and dual-stack listening, and whether the SRT listener (when
 * given) answers an induction handshake.
 */
import { createSocket } from 'node:dgram';
import { probeSrtListener, resolveUpstream, selectIoBackend } from '@bond/runtime';
import type { PartialSettings } from './settings.js';

export interface DoctorLine {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

async function canBind(
  type: 'udp6',
  address: string,
  ipv6Only: boolean,
): Promise<string | undefined> {
  const socket = createSocket({ type, ipv6Only });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => {
        resolve();
      });
    });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    socket.close();
  }
}

export async function runDoctor(
  settings: PartialSettings,
  env: Record<string, string | undefined> = process.env,
): Promise<DoctorLine[]> {
  const lines: DoctorLine[] = [
    {
      check: 'node',
      ok: true,
      detail: `${process.version} on ${process.platform}/${process.arch}`,
    },
  ];
  try {
    const selection = await selectIoBackend(settings.ioBackend, env);
    lines.push({
      check: 'io backend',
      ok: selection.backend.name !== 'dgram' || selection.choice === 'dgram',
      detail: selection.reason,
    });
  } catch (error) {
    lines.push({
      check: 'io backend',
      ok: false,
      detail: error instanceof Error ? error.message : String(error),
    });
  }
  const ipv6 = await canBind('udp6', '::1', true);
  lines.push({
    check: 'ipv6',
    ok: ipv6 === undefined,
    detail: ipv6 === undefined ? 'IPv6 loopback binds' : `no IPv6: ${ipv6}`,
  });
  const dual = await canBind('udp6', '::', false);
  lines.push({
    check: 'dual-stack',
    ok: dual === undefined,
    detail:
      dual === undefined
        ? ':: binds dual-stack (IPv4 and IPv6 senders on one port)'
        : `cannot bind :: dual-stack (${dual}): use --listen 0.0.0.0`,
  });
  if (settings.srtHost !== undefined && settings.srtPort !== undefined) {
    try {
      const target = await resolveUpstream(settings.srtHost, settings.srtPort);
      const probe = await probeSrtListener(target);
      lines.push({
        check: 'srt listener',
        ok: probe.answered,
        detail: `${target.address} port ${target.port}: ${probe.detail}`,
      });
    } catch (error) {
      lines.push({
        check: 'srt listener',
        ok: false,
        detail: error instanceof Error ? error.message : String(error),
      });
    }
  } else {
    lines.push({ check: 'srt listener', ok: true, detail: 'not checked (give SRT_HOST SRT_PORT)' });
  }
  return lines;
}

export function formatDoctor(lines: readonly DoctorLine[]): string {
  return `${lines
    .map((line) => `${line.ok ? 'ok  ' : 'FAIL'} ${line.check.padEnd(13)} ${line.detail}`)
    .join('\n')}\n`;
}
