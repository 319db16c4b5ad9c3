/**
 * `bond-sender --doctor`: what this machine offers the sender, in plain lines: Node, the IO backend
 * `auto` picks and why, IPv6, whether each uplink address in the file can be bound, and whether the
 * receiver's name resolves.
 */
import {
  commonDoctorLines,
  doctorReport,
  errorDetail,
  formatDoctor as formatDoctorLines,
  udpBindError,
  type DoctorLine,
} from '@bond/app-common';
import { resolveReceiver } from '@bond/runtime';
import type { PartialSettings } from './settings.js';
import { formatUplinkProblem, loadUplinkFile } from './uplink-file.js';

export type { DoctorLine };

// 16: room for most `uplink NAME` checks; a longer name only shifts its own line.
const CHECK_WIDTH = 16;

export async function runDoctor(
  settings: PartialSettings,
  env: Record<string, string | undefined> = process.env,
): Promise<DoctorLine[]> {
  const lines = await commonDoctorLines(settings.ioBackend, env);
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
        const error = await udpBindError(uplink.address);
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
      lines.push({ check: 'uplinks', ok: false, detail: errorDetail(error) });
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
      lines.push({ check: 'receiver', ok: false, detail: errorDetail(error) });
    }
  } else {
    lines.push({ check: 'receiver', ok: true, detail: 'not checked (give SRTLA_HOST SRTLA_PORT)' });
  }
  return lines;
}

export function formatDoctor(lines: readonly DoctorLine[]): string {
  return formatDoctorLines(lines, CHECK_WIDTH);
}

/** What `--doctor` prints, and whether every check passed. */
export async function doctorOutcome(
  settings: PartialSettings,
): Promise<{ readonly text: string; readonly ok: boolean }> {
  return doctorReport(await runDoctor(settings), CHECK_WIDTH);
}
