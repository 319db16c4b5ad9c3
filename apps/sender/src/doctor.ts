/**
 * `bond-sender --doctor`: what this machine offers the sender, in plain lines: Node, the IO backend
 * `auto` picks and why, IPv6, whether each uplink address in the file can be bound, and whether the
 * receiver's name resolves.
 */
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { resolveReceiver, selectIoBackend } from '@bond/runtime';
import type { PartialSettings } from './settings.js';
import { formatUplinkProblem, loadUplinkFile } from './uplink-file.js';

export interface DoctorLine {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Undefined when a UDP socket binds `address`, else why not. */
async function bindError(address: string): Promise<string | undefined> {
  const socket = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4' });
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

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
    lines.push({ check: 'io backend', ok: false, detail: message(error) });
  }
  const ipv6 = await bindError('::1');
  lines.push({
    check: 'ipv6',
    ok: ipv6 === undefined,
    detail: ipv6 === undefined ? 'IPv6 loopback binds' : `no IPv6: ${ipv6}`,
  });
  if (settings.ipsFile === undefined) {
    lines.push({ check: 'uplinks', ok: true, detail: 'not checked (give BIND_IPS_FILE)' });
  } else {
    try {
      const list = await loadUplinkFile(settings.ipsFile);
      for (const problem of list.problems) {
        lines.push({
          check: 'uplink line',
          ok: false,
          detail: formatUplinkProblem(list.path, problem),
        });
      }
      for (const uplink of list.uplinks) {
        const error = await bindError(uplink.address);
        lines.push({
          check: `uplink ${uplink.name ?? uplink.address}`,
          ok: error === undefined,
          detail:
            error === undefined
              ? `${uplink.address} binds`
              : `${uplink.address} does not bind (${error}): is that interface up with this address?`,
        });
      }
    } catch (error) {
      lines.push({ check: 'uplinks', ok: false, detail: message(error) });
    }
  }
  if (settings.srtlaHost !== undefined && settings.srtlaPort !== undefined) {
    try {
      const endpoint = await resolveReceiver(settings.srtlaHost, settings.srtlaPort, undefined);
      lines.push({
        check: 'receiver',
        ok: true,
        detail: `${settings.srtlaHost} is ${endpoint.address} port ${endpoint.port}`,
      });
    } catch (error) {
      lines.push({ check: 'receiver', ok: false, detail: message(error) });
    }
  } else {
    lines.push({ check: 'receiver', ok: true, detail: 'not checked (give SRTLA_HOST SRTLA_PORT)' });
  }
  return lines;
}

export function formatDoctor(lines: readonly DoctorLine[]): string {
  return `${lines
    .map((line) => `${line.ok ? 'ok  ' : 'FAIL'} ${line.check.padEnd(16)} ${line.detail}`)
    .join('\n')}\n`;
}
