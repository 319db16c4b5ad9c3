/**
 * `bond-receiver --doctor`: what this machine offers the receiver, in plain lines: Node, the IO
 * backend `auto` picks and why, IPv6 and dual-stack listening, and whether the SRT listener (when
 * given) answers an induction handshake.
 */
import { createDoctor, errorDetail, udpBindError, type DoctorLine } from '@bond/app-common';
import { probeSrtListener, resolveUpstream } from '@bond/runtime';
import type { PartialSettings } from './settings.js';

export type { DoctorLine };

const doctor = createDoctor<PartialSettings>({
  // 13: one more than the longest check name ('srt listener').
  checkWidth: 13,
  ipv6Only: true,
  async appLines(settings) {
    const lines: DoctorLine[] = [];
    const dual = await udpBindError('::', false);
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
          detail: `${target.ip} port ${target.port}: ${probe.detail}`,
        });
      } catch (error) {
        lines.push({ check: 'srt listener', ok: false, detail: errorDetail(error) });
      }
    } else {
      lines.push({
        check: 'srt listener',
        ok: true,
        detail: 'not checked (give SRT_HOST SRT_PORT)',
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
