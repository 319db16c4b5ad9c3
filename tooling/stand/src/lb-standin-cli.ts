/**
 * The `lb-standin` command: the load-balancer stand-in ({@link LbStandin}) run by hand, in front of
 * bond-receiver nodes on loopback. Prints counters periodically and at the end; lines on stdin
 * (`down NODE`, `up NODE`, `stats`) mark nodes by hand. `main` is testable without a process.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  LbStandin,
  parseEndpoint,
  type LbCounters,
  type LbEndpoint,
  type LbEvent,
} from './lb-standin.js';

export const HELP = `Usage: lb-standin --listen ADDR:PORT --node ADDR:PORT --node ADDR:PORT ... [options]

A full-NAT UDP load-balancer stand-in for bond cluster tests (not shipped): senders send to the
public --listen address; each source address:port is hashed (rendezvous, stable while the node set
is unchanged) to one live node and relayed through its own proxy socket, so the node sees the proxy
as the source; the node's replies leave the public address towards the source. A node whose port
refuses (ICMP port unreachable) or that is marked down is taken out and its sources move.

Options:
  -l, --listen ADDR:PORT   public address (default 127.0.0.1:9000)
  -n, --node ADDR:PORT     a node behind it (repeat; at least one)
      --idle SECS          forget a source silent this long (default 60)
      --max-sources N      sources tracked at once (default 10000)
      --silent SECS        take out a node that sent nothing back this long while sent to (off)
  -i, --interval SECS      print counters every SECS seconds (default 5; 0: only at the end)
  -h, --help               this help

While it runs, type on stdin: down NODE | up NODE (NODE: its ADDR:PORT or 0-based index), stats.
Stops on SIGINT/SIGTERM or end of stdin. Exit status: 0 done, 2 bad usage, 1 other errors.`;

export interface LbCliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  /** Commands, one per line; its end stops the balancer. Undefined: none (run until a signal). */
  readonly stdin?: Readable;
  /** Calls `stop` on SIGINT/SIGTERM; returns a function that removes the handlers. */
  readonly onStopSignal: (stop: () => void) => () => void;
}

const processIo: LbCliIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  stdin: process.stdin,
  onStopSignal(stop) {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    };
  },
};

/** Counter lines for one report. */
export function formatCounters(counters: LbCounters, label = ''): string[] {
  const head =
    `lb-standin${label === '' ? '' : ` ${label}`}: received ${counters.received} replied ${counters.replied} ` +
    `sources placed ${counters.sourcesPlaced} moved ${counters.sourcesMoved} expired ${counters.sourcesExpired} ` +
    `dropped no-node ${counters.droppedNoNode} table-full ${counters.droppedTableFull} ` +
    `pending ${counters.droppedPending} send-errors ${counters.sendErrors}`;
  return [
    head,
    ...counters.nodes.map(
      (n, i) =>
        `  node ${i} ${n.node} ${n.up ? 'up  ' : 'DOWN'} sources ${n.sources} ` +
        `to-node ${n.datagramsToNode} (${n.bytesToNode} B) from-node ${n.datagramsFromNode} (${n.bytesFromNode} B)`,
    ),
  ];
}

function describeEvent(event: LbEvent): string {
  return event.type === 'node-down'
    ? `lb-standin: node ${event.node} down (${event.reason}); ${event.moved} source(s) moved`
    : `lb-standin: node ${event.node} up`;
}

function positive(value: string | undefined, flag: string, allowZero = false): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || (!allowZero && parsed === 0)) {
    throw new Error(`${flag} must be a number${allowZero ? ' >= 0' : ' > 0'}, got "${value}"`);
  }
  return parsed;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit status. */
export async function main(argv: readonly string[], io: LbCliIo = processIo): Promise<number> {
  let listen: LbEndpoint;
  let nodes: LbEndpoint[];
  let idleS: number | undefined;
  let maxSources: number | undefined;
  let silentS: number | undefined;
  let intervalS: number;
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        listen: { type: 'string', short: 'l' },
        node: { type: 'string', short: 'n', multiple: true },
        idle: { type: 'string' },
        'max-sources': { type: 'string' },
        silent: { type: 'string' },
        interval: { type: 'string', short: 'i' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    });
    if (values.help) {
      io.stdout(HELP);
      return 0;
    }
    listen = parseEndpoint(values.listen ?? '127.0.0.1:9000');
    nodes = (values.node ?? []).map((raw) => parseEndpoint(raw));
    if (nodes.length === 0) throw new Error('give at least one --node ADDR:PORT');
    idleS = positive(values.idle, '--idle');
    const max = positive(values['max-sources'], '--max-sources');
    if (max !== undefined && !Number.isInteger(max)) throw new Error('--max-sources is a count');
    maxSources = max;
    silentS = positive(values.silent, '--silent');
    intervalS = positive(values.interval, '--interval', true) ?? 5;
  } catch (error) {
    io.stderr(`lb-standin: ${error instanceof Error ? error.message : String(error)}`);
    io.stderr('Run lb-standin --help for usage.');
    return 2;
  }

  let balancer: LbStandin;
  try {
    balancer = await LbStandin.open({
      listen,
      nodes,
      ...(idleS === undefined ? {} : { idleTimeoutMs: Math.round(idleS * 1000) }),
      ...(maxSources === undefined ? {} : { maxSources }),
      ...(silentS === undefined ? {} : { silentAfterMs: Math.round(silentS * 1000) }),
      onEvent: (event) => {
        io.stdout(describeEvent(event));
      },
    });
  } catch (error) {
    io.stderr(`lb-standin: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const publicAddress = balancer.address;
  io.stdout(
    `lb-standin: listening on ${publicAddress.address}:${publicAddress.port}, ${nodes.length} node(s)`,
  );

  await new Promise<void>((resolve) => {
    let timer: ReturnType<typeof setInterval> | undefined;
    const lines =
      io.stdin === undefined ? undefined : createInterface({ input: io.stdin, terminal: false });
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      removeSignals();
      lines?.close();
      resolve();
    };
    const removeSignals = io.onStopSignal(stop);
    if (intervalS > 0) {
      timer = setInterval(() => {
        for (const line of formatCounters(balancer.counters())) io.stdout(line);
      }, intervalS * 1000);
    }
    lines?.on('line', (line) => {
      const [command, node] = line.trim().split(/\s+/);
      try {
        if (command === 'stats') {
          for (const out of formatCounters(balancer.counters())) io.stdout(out);
        } else if ((command === 'down' || command === 'up') && node !== undefined) {
          const target = /^\d+$/.test(node) ? Number(node) : node;
          if (command === 'down') balancer.markDown(target);
          else balancer.markUp(target);
        } else if (command !== undefined && command !== '') {
          io.stderr('lb-standin: commands are: down NODE, up NODE, stats');
        }
      } catch (error) {
        io.stderr(`lb-standin: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    lines?.on('close', stop);
  });
  const final = balancer.counters();
  await balancer.close();
  for (const line of formatCounters(final, 'final')) io.stdout(line);
  return 0;
}
