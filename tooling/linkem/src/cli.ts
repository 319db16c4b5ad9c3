/**
 * The `linkem` command: runs a scenario file's links until its duration passes or SIGINT/SIGTERM,
 * printing per-link counters periodically and at the end. `main` is testable without a process.
 */
import { parseArgs } from 'node:util';
import { BondError } from '@bond/wire';
import type { DirectionStats } from './impaired-direction.js';
import { openResolved } from './link-emulator.js';
import type { LinkStats } from './link-relay.js';
import { loadScenario } from './scenario.js';

export const HELP = `Usage: linkem --scenario FILE.json [--duration SECONDS] [--interval SECONDS] [--json]

Userspace UDP link emulator: per link, a relay listening where the sender's link socket sends,
forwarding to the real receiver through rate or trace limits, a queue, delay, jitter (never
reordering), random and bursty loss and outages, in both directions; NAT rebinding on schedule.

Options:
  -s, --scenario FILE   scenario file (JSON), required; see below
  -d, --duration SECS   run this long (overrides the file's "duration"; default: until stopped)
  -i, --interval SECS   print counters every SECS seconds (default 1; 0: only at the end)
      --json            print counters as JSON lines instead of text
  -h, --help            show this help

Scenario file ("duration" in seconds, every other time in ms, rates in bits/s):
  {
    "seed": 1,
    "duration": 30,
    "links": [{
      "name": "lte-1",
      "listen": { "address": "127.0.0.1", "port": 6001 },
      "target": { "address": "127.0.0.1", "port": 5000 },
      "up":   { "rateBps": 6000000, "queueMs": 200, "delayMs": 30, "jitterMs": 5,
                "lossRate": 0.01, "burst": { "enter": 0.01, "leave": 0.3 },
                "outages": [[10000, 20000]] },
      "down": { "delayMs": 30 },
      "rebindAtMs": [15000]
    }]
  }
  Per direction: rateBps | trace (a Mahimahi .up file, relative to the scenario file),
  queueBytes, queueMs, delayMs, jitterMs, lossRate, burst {enter, leave}, outages [[start, end]].
  Per link: name, listen, target, upstreamAddress, up, down, outages (both directions), rebindAtMs.

  A sender whose links all send to one receiver address (bond-sender, srtla_send) uses a gateway:
  "gateway": { "address": "127.0.0.1", "port": 6000 } at the top level, and per link "from": the
  sender source address that link carries (e.g. "127.0.0.2"), instead of "listen".

Stops cleanly on SIGINT/SIGTERM. Exit status: 0 done, 2 bad usage or scenario, 1 other errors.`;

export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  /** Calls `stop` on SIGINT/SIGTERM; returns a function that removes the handlers. */
  readonly onStopSignal: (stop: () => void) => () => void;
}

const processIo: CliIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  onStopSignal(stop) {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    };
  },
};

function formatBytes(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

function formatDirection(name: string, direction: string, stats: DirectionStats): string {
  const d = stats.dropped;
  return (
    `${name} ${direction.padEnd(4)} offered ${stats.offered} (${formatBytes(stats.offeredBytes)}) ` +
    `delivered ${stats.delivered} (${formatBytes(stats.deliveredBytes)}) ` +
    `dropped queue=${d.queue} loss=${d.loss} outage=${d.outage} noPeer=${d.noPeer} ` +
    `stalePort=${d.stalePort} | queue ${formatBytes(stats.queueBytes)} ${Math.round(stats.queueMs)} ms` +
    ` | in flight ${stats.inFlight}`
  );
}

/** Counter lines for one report, text or JSON. */
export function formatReport(
  elapsedMs: number,
  links: readonly LinkStats[],
  json: boolean,
  label = '',
): string[] {
  if (json)
    return [JSON.stringify({ elapsedMs: Math.round(elapsedMs), final: label === 'final', links })];
  const stamp = `[${(elapsedMs / 1000).toFixed(1).padStart(6)}s${label === '' ? '' : ` ${label}`}]`;
  return links.flatMap((link) => [
    `${stamp} ${formatDirection(link.name, 'up', link.up)}`,
    `${stamp} ${formatDirection(link.name, 'down', link.down)}${
      link.rebinds > 0 ? ` | rebinds ${link.rebinds}, upstream port ${link.upstreamPort}` : ''
    }`,
  ]);
}

function seconds(value: string | undefined, flag: string, allowZero: boolean): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || (!allowZero && parsed === 0)) {
    throw new UsageError(
      `${flag} must be a number of seconds${allowZero ? ' >= 0' : ' > 0'}, got "${value}"`,
    );
  }
  return parsed;
}

class UsageError extends Error {}

/** Runs the CLI with `argv` (without node and script); resolves to the exit status. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let scenarioFile: string;
  let durationS: number | undefined;
  let intervalS: number;
  let json: boolean;
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        scenario: { type: 'string', short: 's' },
        duration: { type: 'string', short: 'd' },
        interval: { type: 'string', short: 'i' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    });
    if (values.help) {
      io.stdout(HELP);
      return 0;
    }
    if (values.scenario === undefined) throw new UsageError('--scenario FILE.json is required');
    scenarioFile = values.scenario;
    durationS = seconds(values.duration, '--duration', false);
    intervalS = seconds(values.interval, '--interval', true) ?? 1;
    json = values.json;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`linkem: ${message}\nRun linkem --help for usage.`);
    return 2;
  }

  let emulator;
  let durationMs: number | undefined;
  try {
    const scenario = loadScenario(scenarioFile);
    durationMs = durationS === undefined ? scenario.durationMs : durationS * 1000;
    emulator = await openResolved(scenario.options);
  } catch (error) {
    if (error instanceof BondError) {
      io.stderr(`linkem: ${error.message} [${error.code}]`);
      return error.code.startsWith('BOND_ERR_LINKEM_BIND') ? 1 : 2;
    }
    throw error;
  }

  if (emulator.gateway !== undefined) {
    io.stdout(`linkem: gateway listening on ${emulator.gateway.address}:${emulator.gateway.port}`);
  }
  for (const link of emulator.links) {
    io.stdout(
      `linkem: ${link.name} listening on ${link.address.address}:${link.address.port} -> ` +
        `${link.target.address}:${link.target.port} (upstream port ${link.upstreamPort})`,
    );
  }
  const running = emulator;
  await new Promise<void>((resolve) => {
    const timers: NodeJS.Timeout[] = [];
    const stop = (): void => {
      for (const timer of timers) clearTimeout(timer);
      removeSignals();
      resolve();
    };
    const removeSignals = io.onStopSignal(stop);
    if (intervalS > 0) {
      timers.push(
        setInterval(() => {
          for (const line of formatReport(running.elapsedMs(), running.stats(), json))
            io.stdout(line);
        }, intervalS * 1000),
      );
    }
    if (durationMs !== undefined) timers.push(setTimeout(stop, durationMs));
  });
  const elapsed = running.elapsedMs();
  await running.close();
  for (const line of formatReport(elapsed, running.stats(), json, 'final')) io.stdout(line);
  return 0;
}
