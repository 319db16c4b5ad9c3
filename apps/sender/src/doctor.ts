/**
 * `bond-sender --doctor`: what this machine offers the sender, in plain lines: Node, the IO backend
 * `auto` picks and why, IPv6, whether each uplink address in the file can be bound, whether the
 * receiver's name resolves, and whether the receiver answers a registration (one REG1 sent from
 * the first uplink that binds).
 */
import { isIP } from 'node:net';
import { createDoctor, errorDetail, udpBindError, type DoctorLine } from '@bond/app-common';
import { resolveReceiver } from '@bond/runtime';
import { probeReceiver } from './receiver-probe.js';
import type { PartialSettings } from './settings.js';
import { formatUplinkProblem, loadUplinkFile } from './uplink-file.js';

export type { DoctorLine };

const doctor = createDoctor<PartialSettings>({
  // 16: room for most `uplink NAME` checks; a longer name only shifts its own line.
  checkWidth: 16,
  async appLines(settings) {
    const lines: DoctorLine[] = [];
    /** Uplink addresses that bind: the probe goes out from one of the receiver's family. */
    const bound: string[] = [];
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
          if (error === undefined) bound.push(uplink.address);
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
          detail: `${settings.srtlaHost} is ${endpoint.ip} port ${endpoint.port}`,
        });
        const from = bound.find((address) => isIP(address) === endpoint.family);
        const probe = await probeReceiver(
          endpoint,
          from === undefined ? {} : { bindAddress: from },
        );
        lines.push({
          check: 'registration',
          ok: probe.ok,
          detail: `${probe.detail} (REG1 sent from ${from ?? 'any local address'})`,
        });
      } catch (error) {
        lines.push({ check: 'receiver', ok: false, detail: errorDetail(error) });
      }
    } else {
      lines.push({
        check: 'receiver',
        ok: true,
        detail: 'not checked (give SRTLA_HOST SRTLA_PORT)',
      });
    }
    return lines;
  },
});

/** Every check, the common ones first; `env` is where `BOND_IO_BACKEND` is read. */
export const runDoctor = doctor.run;
/** The report's text. */
export const formatDoctor = doctor.format;
/** What `--doctor` prints, and whether every check passed. */
export const doctorOutcome = doctor.report;
