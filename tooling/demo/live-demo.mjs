#!/usr/bin/env node
// The live demo, the README's first command: bonding you can watch, on loopback.
//
// Starts bond-receiver, bond-sender with three emulated uplinks of different quality (linkem; one
// fails and recovers mid-run), a stream source and a sink (real srt-live-transmit when installed,
// else bond's built-in SRT-like pair), shows each link's state and share live with the dashboard's
// address, and ends with a summary: delivered, lost, delay, each link's share. Bounded: 30 s by
// default, Ctrl-C ends it early (the summary still prints).
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createStand } from '@bond/stand';

export const HELP = `Usage: pnpm demo [-- options]   (or node tooling/demo/live-demo.mjs [options])

Runs bond end to end on loopback: an SRT source -> bond-sender -> three emulated uplinks (linkem)
-> bond-receiver -> an SRT sink. One uplink fails a third of the way in and comes back later.

Options:
  -d, --duration SECS     how long the stream runs (default 30; at least 6)
      --bitrate MBPS      the stream's rate in Mbit/s (default 6)
      --scheduler NAME    adaptive (default) or classic
      --ends KIND         auto (default: srt-live-transmit when installed), srt-live-transmit, builtin
      --latency MS        SRT latency (default 1000)
      --http-port PORT    the receiver dashboard's port (default: a free one)
      --json FILE         also write the summary and the per-second samples as JSON
  -h, --help              this text`;

/** The three uplinks: a good one, a middling one, and one that fails and recovers. */
export function demoLinks(durationS) {
  const failAtMs = Math.round((durationS * 1000) / 3);
  const failForMs = Math.round(Math.max(2000, (durationS * 1000) / 4));
  return {
    failAtMs,
    failForMs,
    links: [
      {
        name: 'wifi',
        up: { rateBps: 5e6, delayMs: 15, jitterMs: 3, queueMs: 150 },
        down: { delayMs: 15 },
      },
      {
        name: 'lte',
        up: { rateBps: 4e6, delayMs: 35, jitterMs: 8, queueMs: 250, lossRate: 0.01 },
        down: { delayMs: 35 },
      },
      {
        name: '5g',
        up: { rateBps: 4e6, delayMs: 25, jitterMs: 5, queueMs: 200 },
        down: { delayMs: 25 },
      },
    ],
  };
}

function parse(argv) {
  const { values } = parseArgs({
    // `pnpm demo -- --help` hands the script the `--` too: it ends pnpm's options, not ours.
    args: argv[0] === '--' ? argv.slice(1) : argv,
    options: {
      duration: { type: 'string', short: 'd' },
      bitrate: { type: 'string' },
      scheduler: { type: 'string' },
      ends: { type: 'string' },
      latency: { type: 'string' },
      'http-port': { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const number = (name, fallback, min, max) => {
    const text = values[name];
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new Error(`--${name} ${text}: give a number from ${min} to ${max}`);
    }
    return value;
  };
  const choice = (name, fallback, allowed) => {
    const value = values[name] ?? fallback;
    if (!allowed.includes(value)) {
      throw new Error(`--${name} ${value}: choose one of ${allowed.join(', ')}`);
    }
    return value;
  };
  return {
    help: values.help === true,
    durationS: number('duration', 30, 6, 3600),
    bitrateBps: number('bitrate', 6, 0.1, 100) * 1e6,
    scheduler: choice('scheduler', 'adaptive', ['adaptive', 'classic']),
    ends: choice('ends', 'auto', ['auto', 'srt-live-transmit', 'builtin']),
    latencyMs: number('latency', 1000, 20, 10_000),
    httpPort: values['http-port'] === undefined ? undefined : number('http-port', 0, 1, 65535),
    json: values.json,
  };
}

const mbps = (bps) => (bps / 1e6).toFixed(2);
const ms = (value) => (value === undefined ? '-' : `${Math.round(value)}`);
const percent = (share) => `${(share * 100).toFixed(0)}%`;

/** The status block: the stream's last second and one line per link. */
export function statusLines(sample, counts, elapsedS, durationS) {
  const lines = [
    `t=${elapsedS.toFixed(0).padStart(3)}s/${durationS}s  stream: sent ${counts.sent}, delivered ${counts.delivered}, ` +
      `${Math.round(sample.deliveredPps)} pkt/s, delay p50 ${ms(sample.delay.p50Ms)} ms p95 ${ms(sample.delay.p95Ms)} ms`,
    '  link   state        share   rate Mbit/s   RTT ms   queue ms',
  ];
  for (const link of sample.links) {
    lines.push(
      `  ${link.name.padEnd(6)} ${String(link.state ?? '-').padEnd(12)} ${percent(link.share).padStart(5)}   ` +
        `${mbps(link.deliveredBps).padStart(11)}   ${ms(link.rttMs).padStart(6)}   ${ms(link.queueMs).padStart(8)}`,
    );
  }
  return lines;
}

/**
 * When the failed link's traffic stopped and came back, from the per-second samples: the first
 * sample after the failure with (almost) no share, and the first after the restore with a share
 * again.
 */
export function failoverTimes(samples, linkName, failAtS, restoreAtS) {
  const share = (sample) => sample.links.find((link) => link.name === linkName)?.share ?? 0;
  const off = samples.find((s) => s.t > failAtS && share(s) < 0.02);
  const back = samples.find((s) => s.t > restoreAtS && share(s) > 0.1);
  return {
    offAfterS: off === undefined ? undefined : off.t - failAtS,
    backAfterS: back === undefined ? undefined : back.t - restoreAtS,
  };
}

export function summaryLines(report, extra) {
  const { stream, srt } = report;
  const lost = stream.sent - stream.delivered;
  const lines = [
    '',
    `bond demo summary (${report.scheduler} scheduler, ${report.ends} ends, ${report.durationS.toFixed(1)} s of stream)`,
    `  delivered: ${stream.delivered} of ${stream.sent} packets (${((100 * stream.delivered) / Math.max(1, stream.sent)).toFixed(2)}%), ` +
      `lost ${lost}, duplicates ${stream.duplicates}, out of order ${stream.outOfOrder}`,
    `  end-to-end delay: p50 ${ms(stream.delay.p50Ms)} ms, p95 ${ms(stream.delay.p95Ms)} ms, p99 ${ms(stream.delay.p99Ms)} ms, max ${ms(stream.delay.maxMs)} ms` +
      (report.ends === 'srt-live-transmit'
        ? ' (includes SRT latency: the listener plays out at send time + latency)'
        : ''),
  ];
  if (srt.caller !== undefined || srt.listener !== undefined) {
    lines.push(
      `  SRT: retransmitted ${srt.caller?.packetsRetransmitted ?? '-'}, lost (NAKed) ${srt.listener?.packetsLost ?? '-'}, ` +
        `dropped too late ${srt.listener?.packetsDropped ?? '-'}`,
    );
  }
  lines.push('  per-link share of the bytes delivered to the receiver:');
  for (const link of report.links) {
    lines.push(
      `    ${link.name.padEnd(6)} ${percent(link.share).padStart(5)}  (${link.up.delivered} datagrams, ` +
        `${Object.values(link.up.dropped).reduce((a, b) => a + b, 0)} dropped by the emulated link)`,
    );
  }
  lines.push(
    `  ${extra.failedLink} failed at ${extra.failAtS.toFixed(0)} s for ${extra.failForS.toFixed(0)} s: traffic left it after ` +
      `${extra.offAfterS === undefined ? 'n/a' : `${extra.offAfterS.toFixed(1)} s`}, came back ` +
      `${extra.backAfterS === undefined ? 'not within the run' : `${extra.backAfterS.toFixed(1)} s`} after the restore` +
      ' (sampled once a second)',
  );
  return lines;
}

export async function runDemo(argv, out = process.stdout) {
  let options;
  try {
    options = parse(argv);
  } catch (error) {
    out.write(`demo: ${error.message}\n\n${HELP}\n`);
    return 2;
  }
  if (options.help) {
    out.write(`${HELP}\n`);
    return 0;
  }
  const tty = out.isTTY === true;
  const { failAtMs, failForMs, links } = demoLinks(options.durationS);
  const failedLink = 'lte';
  out.write(
    `bond demo: ${links.length} emulated uplinks, ${mbps(options.bitrateBps)} Mbit/s stream for ${options.durationS} s; starting...\n`,
  );
  const stand = await createStand({
    links,
    bitrateBps: options.bitrateBps,
    scheduler: options.scheduler,
    ends: options.ends,
    latencyMs: options.latencyMs,
    reorder: 'auto',
    senderHttp: true,
    ...(options.httpPort === undefined ? {} : { receiverHttpPort: options.httpPort }),
  });
  let stopped = false;
  const onSignal = () => {
    stopped = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    out.write(
      `  stream ends: ${stand.ends.kind === 'builtin' ? 'built-in SRT-like source and sink (install srt-tools for real srt-live-transmit)' : 'srt-live-transmit caller and listener'}\n` +
        `  receiver dashboard: ${stand.receiverUrl}/   (metrics: ${stand.receiverUrl}/metrics)\n` +
        (stand.senderUrl === undefined ? '' : `  sender page:        ${stand.senderUrl}/\n`) +
        `  links: ${links.map((l) => `${l.name} ${mbps(l.up.rateBps)} Mbit/s ${l.up.delayMs} ms`).join(', ')}\n` +
        `  ${failedLink} fails at ${failAtMs / 1000} s for ${failForMs / 1000} s\n\n`,
    );
    stand.startStream();
    const started = performance.now();
    let failed = false;
    let restored = false;
    let drawn = 0;
    for (let second = 1; second <= options.durationS && !stopped; second++) {
      const wait = started + second * 1000 - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const elapsedMs = performance.now() - started;
      const events = [];
      if (!failed && elapsedMs >= failAtMs) {
        failed = true;
        stand.emulator.link(failedLink).outage(failForMs);
        events.push(`>>> ${failedLink} fails now (black hole for ${failForMs / 1000} s)`);
      }
      if (failed && !restored && elapsedMs >= failAtMs + failForMs) {
        restored = true;
        events.push(`>>> ${failedLink} is back`);
      }
      const sample = stand.sample();
      const lines = statusLines(sample, stand.counts(), elapsedMs / 1000, options.durationS);
      const problem = stand.ends.problem();
      if (problem !== undefined) events.push(`!!! ${problem}`);
      if (tty) {
        if (drawn > 0) out.write(`\x1b[${drawn}A\x1b[J`);
        for (const event of events) out.write(`${event}\n`);
        out.write(`${lines.join('\n')}\n`);
        drawn = lines.length;
      } else {
        for (const event of events) out.write(`${event}\n`);
        if (second % 5 === 0 || second === options.durationS || events.length > 0)
          out.write(`${lines.join('\n')}\n`);
      }
    }
    stand.stopStream();
    // What is still in flight or being repaired arrives within the latency.
    await new Promise((resolve) => setTimeout(resolve, options.latencyMs + 700));
    const report = await stand.report();
    const failAtS = failAtMs / 1000;
    const failForS = failForMs / 1000;
    const times = failoverTimes(stand.samples(), failedLink, failAtS, failAtS + failForS);
    const extra = { failedLink, failAtS, failForS, ...times };
    out.write(`${summaryLines(report, extra).join('\n')}\n`);
    if (options.json !== undefined) {
      await writeFile(
        options.json,
        `${JSON.stringify({ options, report, failover: extra, samples: stand.samples() }, null, 2)}\n`,
      );
      out.write(`  JSON written to ${options.json}\n`);
    }
    return report.stream.delivered > 0 ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stand.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runDemo(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(
        `demo failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
