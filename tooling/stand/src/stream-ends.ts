/**
 * The two ends of the stream bond carries: a source that plays the encoder (an SRT caller sending
 * to bond-sender) and a sink that plays the SRT listener bond-receiver forwards to. Either real
 * `srt-live-transmit` processes, fed and read through pipes, or the built-in SRT-like pair.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BuiltinSink, BuiltinSource } from './builtin-srt.js';
import { hasCommand, startProcess, type StartedProcess } from './process.js';
import { PAYLOAD_BYTES } from './stamp.js';

export type EndsKind = 'srt-live-transmit' | 'builtin';

/** SRT's own counters for one side (srt-live-transmit's `-pf:json -f` stats, or the built-in's). */
export interface SrtSideStats {
  /** Data packets sent (caller) or received (listener), retransmissions included. */
  readonly packets: number;
  readonly packetsRetransmitted: number;
  /** Packets the listener saw missing (NAKed), or the caller was told were missing. */
  readonly packetsLost: number;
  /** Packets given up on (too late to play). */
  readonly packetsDropped: number;
  /** SRT's smoothed RTT, ms, when it measures one. */
  readonly rttMs: number | undefined;
}

export interface SrtStats {
  readonly caller: SrtSideStats | undefined;
  readonly listener: SrtSideStats | undefined;
}

export interface StreamEnds {
  readonly kind: EndsKind;
  /** The sink's UDP port on 127.0.0.1 (bond-receiver's SRT_PORT). */
  readonly listenerPort: number;
  /** Starts the source, sending to bond-sender's SRT port on 127.0.0.1. */
  connect(senderPort: number): Promise<void>;
  /** Sends one {@link PAYLOAD_BYTES}-byte payload (after `connect`). */
  write(payload: Buffer): void;
  /**
   * After the last payload: pushes what the ends' own buffers hold back through (srt-live-transmit
   * reads stdin and writes stdout in blocks) with unstamped filler payloads.
   */
  flush(): void;
  /** SRT's statistics so far. */
  srtStats(): Promise<SrtStats>;
  /** Something went wrong that the summary should mention (a process that died), if anything. */
  problem(): string | undefined;
  close(): Promise<void>;
}

export interface EndsOptions {
  /** Which ends; `auto`: srt-live-transmit when installed, else the built-in pair. */
  readonly kind?: EndsKind | 'auto';
  /** SRT latency, ms: how long a gap may be repaired before the listener gives up. */
  readonly latencyMs: number;
  /** Gets each payload the sink delivers, in its order. */
  readonly onPayload: (payload: Uint8Array) => void;
  /** Where srt-live-transmit writes its stats files. */
  readonly workDir: string;
  /** The sink's port; default: a free one. */
  readonly listenerPort?: number;
}

export const SRT_LIVE_TRANSMIT = 'srt-live-transmit';

/** Whether srt-live-transmit can be run here. */
export function hasSrtLiveTransmit(): boolean {
  return hasCommand(SRT_LIVE_TRANSMIT);
}

export async function openStreamEnds(options: EndsOptions): Promise<StreamEnds> {
  const kind =
    options.kind === undefined || options.kind === 'auto'
      ? hasSrtLiveTransmit()
        ? 'srt-live-transmit'
        : 'builtin'
      : options.kind;
  return kind === 'builtin' ? openBuiltinEnds(options) : openSrtLiveTransmitEnds(options);
}

async function openBuiltinEnds(options: EndsOptions): Promise<StreamEnds> {
  const sink = await BuiltinSink.open(
    options.listenerPort ?? 0,
    options.latencyMs,
    options.onPayload,
  );
  let source: BuiltinSource | undefined;
  return {
    kind: 'builtin',
    listenerPort: sink.port,
    async connect(senderPort) {
      source = await BuiltinSource.open(senderPort, options.latencyMs);
    },
    write(payload) {
      source?.send(payload);
    },
    flush: () => undefined,
    srtStats() {
      const sent = source?.stats();
      const received = sink.stats();
      return Promise.resolve({
        caller:
          sent === undefined
            ? undefined
            : {
                packets: sent.packetsSent + sent.packetsRetransmitted,
                packetsRetransmitted: sent.packetsRetransmitted,
                packetsLost: sent.naksReceived,
                packetsDropped: sent.retransmitsMissed,
                rttMs: undefined,
              },
        listener: {
          packets: received.packetsReceived,
          packetsRetransmitted: received.packetsRetransmitted,
          packetsLost: received.naksSent,
          packetsDropped: received.packetsDropped,
          rttMs: undefined,
        },
      });
    },
    problem: () => undefined,
    async close() {
      await source?.close();
      await sink.close();
    },
  };
}

function srtUrl(port: number, mode: 'caller' | 'listener', latencyMs: number): string {
  return `srt://127.0.0.1:${port}?mode=${mode}&latency=${latencyMs}`;
}

/**
 * 32 payloads: more than srt-live-transmit holds back at the end of a stream (the caller's stdin
 * reader about 8 payloads, the listener's 4 KiB stdout buffer about 3).
 */
const FLUSH_PAYLOADS = 32;

/** 100 packets: how often srt-live-transmit writes a stats line. */
const STATS_EVERY_PACKETS = 100;

async function openSrtLiveTransmitEnds(options: EndsOptions): Promise<StreamEnds> {
  const port = options.listenerPort ?? (await freeUdpPort());
  const listenerStats = join(options.workDir, 'srt-listener-stats.json');
  const callerStats = join(options.workDir, 'srt-caller-stats.json');
  const statsArgs = (file: string) => [
    `-s:${STATS_EVERY_PACKETS}`,
    '-pf:json',
    '-f',
    `-statsout:${file}`,
  ];
  // The listener writes payloads to stdout as a byte stream; SRT keeps message boundaries and
  // drops whole payloads, so the stream splits back into PAYLOAD_BYTES pieces.
  let pending: Buffer = Buffer.alloc(0);
  const listener = startProcess(
    'srt-live-transmit (listener)',
    SRT_LIVE_TRANSMIT,
    ['-q', ...statsArgs(listenerStats), srtUrl(port, 'listener', options.latencyMs), 'file://con'],
    {
      onStdout: (chunk) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        let offset = 0;
        for (; offset + PAYLOAD_BYTES <= pending.length; offset += PAYLOAD_BYTES) {
          options.onPayload(pending.subarray(offset, offset + PAYLOAD_BYTES));
        }
        pending = pending.subarray(offset);
      },
    },
  );
  let caller: StartedProcess | undefined;
  const write = (payload: Buffer): void => {
    const input = caller?.child.stdin;
    if (input !== undefined && input !== null && !input.destroyed) input.write(payload);
  };
  return {
    kind: 'srt-live-transmit',
    listenerPort: port,
    connect(senderPort) {
      caller = startProcess(
        'srt-live-transmit (caller)',
        SRT_LIVE_TRANSMIT,
        [
          '-q',
          `-chunk:${PAYLOAD_BYTES}`,
          ...statsArgs(callerStats),
          'file://con',
          srtUrl(senderPort, 'caller', options.latencyMs),
        ],
        { stdin: true },
      );
      return Promise.resolve();
    },
    write,
    flush() {
      for (let i = 0; i < FLUSH_PAYLOADS; i++) write(Buffer.alloc(PAYLOAD_BYTES));
    },
    async srtStats() {
      return {
        caller: lastSrtStats(await readIfThere(callerStats), 'send'),
        listener: lastSrtStats(await readIfThere(listenerStats), 'recv'),
      };
    },
    problem() {
      for (const process of [listener, caller]) {
        if (process !== undefined && !process.running) {
          return `${process.name} exited: ${process.output().trim().slice(-400) || '(no output)'}`;
        }
      }
      return undefined;
    },
    async close() {
      await caller?.stop();
      await listener.stop();
    },
  };
}

async function readIfThere(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

interface SrtJsonSide {
  packets?: number;
  packetsRetransmitted?: number;
  packetsLost?: number;
  packetsDropped?: number;
}

/**
 * The last complete stats line of srt-live-transmit's `-pf:json -f` output: cumulative counters of
 * one direction (`send` for the caller, `recv` for the listener).
 */
export function lastSrtStats(text: string, side: 'send' | 'recv'): SrtSideStats | undefined {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]?.trim() ?? '';
    if (!line.startsWith('{')) continue;
    let parsed: { link?: { rtt?: number }; send?: SrtJsonSide; recv?: SrtJsonSide };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      continue; // a line still being written
    }
    const counters = parsed[side];
    if (counters === undefined) continue;
    return {
      packets: counters.packets ?? 0,
      packetsRetransmitted: counters.packetsRetransmitted ?? 0,
      packetsLost: counters.packetsLost ?? 0,
      packetsDropped: counters.packetsDropped ?? 0,
      rttMs: parsed.link?.rtt,
    };
  }
  return undefined;
}

/**
 * A UDP port free on `host` right now. For a program that binds the wildcard address (BELABOX
 * `srtla_send` binds 0.0.0.0), ask with `'0.0.0.0'`: a port free on 127.0.0.1 may be bound on
 * another loopback address.
 */
export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  const { createSocket } = await import('node:dgram');
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) =>
    socket.close(() => {
      resolve();
    }),
  );
  return port;
}
