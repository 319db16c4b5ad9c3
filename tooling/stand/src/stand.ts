/**
 * `createStand(options)`: bond end to end on loopback, with real processes where users have them.
 *
 * ```text
 * source ──SRT──▶ bond-sender ══ link 127.0.0.2 ══▶ linkem ── link a ──▶ bond-receiver ──SRT──▶ sink
 *  (stamps)        (process)   ══ link 127.0.0.3 ══▶ gateway ─ link b ──▶   (process)      (delays)
 * ```
 *
 * The source plays the encoder (srt-live-transmit as SRT caller, or the built-in SRT-like source)
 * and stamps every payload with its number and send time; the sink (srt-live-transmit as SRT
 * listener, or the built-in sink) hands payloads back, so the stand counts what arrived, in which
 * order and how late. bond-sender and bond-receiver are the built CLIs (`apps/* /dist/bin.js`),
 * started as child processes. Each uplink is a linkem link chosen by the sender's source address
 * (127.0.0.2, 127.0.0.3, ...) through linkem's gateway.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  createLinkEmulator,
  type Impairment,
  type LinkEmulator,
  type LinkStats,
} from '@bond/linkem';
import { HoldMeter } from './hold-meter.js';
import { PathTap } from './path-tap.js';
import { startProcess, type StartedProcess } from './process.js';
import { stampedPayload, PAYLOAD_BYTES } from './stamp.js';
import {
  freeUdpPort,
  openStreamEnds,
  type EndsKind,
  type SrtStats,
  type StreamEnds,
} from './stream-ends.js';
import { StreamMeter, type DelaySummary, type StreamCounts } from './stream-meter.js';

export interface StandLink {
  readonly name: string;
  /** The sender's source address for this link. Default `127.0.0.(2 + index)`. */
  readonly address?: string;
  /** Sender → receiver impairments (linkem). */
  readonly up?: Impairment;
  /** Receiver → sender impairments (linkem). Default: `up`'s delay, nothing else. */
  readonly down?: Impairment;
  /** Percent, 0..100 (the uplink file's `priority=`). Default 100. */
  readonly priority?: number;
  /** Left out of the uplink file at start (a test adds it later with `setUplinks`). */
  readonly standby?: boolean;
}

export interface StandOptions {
  readonly links: readonly StandLink[];
  /** The stream's rate, bits/s of SRT payload. */
  readonly bitrateBps: number;
  /** bond-sender's `--scheduler`. Default `adaptive`. */
  readonly scheduler?: 'adaptive' | 'classic';
  /** bond-receiver's `--reorder`. Default: the receiver's own. */
  readonly reorder?: string;
  /** The stream's ends. Default `auto`: srt-live-transmit when installed. */
  readonly ends?: EndsKind | 'auto';
  /** SRT latency, ms. Default 1000. */
  readonly latencyMs?: number;
  /** linkem's seed. Default 1. */
  readonly seed?: number;
  /** Serve the receiver's dashboard and stats on this TCP port (0: a free one). Default 0. */
  readonly receiverHttpPort?: number;
  /** Serve bond-sender's stats page too (`--http`), on a free port. Default false. */
  readonly senderHttp?: boolean;
  /** The most payloads the run may send (the meter's memory). Default 1,000,000. */
  readonly maxPayloads?: number;
  /** Every log line of the processes (JSON lines), e.g. to keep them in a file. */
  readonly onLog?: (from: 'sender' | 'receiver', line: string) => void;
  /** Extra environment for bond's processes (e.g. `BOND_IO_BACKEND`). */
  readonly env?: NodeJS.ProcessEnv;
  /** bond-sender's `--stats-interval`, seconds. Default 0.5. */
  readonly statsIntervalS?: number;
  /**
   * Measure the path's delay besides the sink's, with {@link PathTap}s around bond-receiver.
   * `true`: one between bond-receiver and the sink (stamp to bond-receiver's output:
   * `pathCounts()`, `StandSample.pathDelay`, `StandReport.path`). `'both'`: also one between
   * linkem and bond-receiver (stamp to its input, and each payload's time inside bond-receiver:
   * `StandReport.input`, `StandReport.hold`, `StandSample.holdDelay`); bond-receiver then sees
   * the tap's ports as the links' source addresses. Default false.
   */
  readonly pathTap?: boolean | 'both';
}

/** One link's traffic over one sampling window, from linkem's counters. */
export interface LinkSample {
  readonly name: string;
  /** Share of the bytes every link delivered to the receiver in the window, 0..1. */
  readonly share: number;
  readonly deliveredBps: number;
  /**
   * Share of the bytes bond-sender put on the links in the window, 0..1: unlike `share`, it
   * counts what a link's impairments dropped (an outage, loss), so it shows where the sender sends.
   */
  readonly offeredShare: number;
  readonly offeredBps: number;
  /** linkem's uplink queue at the window's end, ms of waiting. */
  readonly queueMs: number;
  readonly droppedUp: number;
  /** bond-sender's smoothed RTT for the link, ms. */
  readonly rttMs: number | undefined;
  readonly state: string | undefined;
}

export interface StandSample {
  /** Seconds since the stream started. */
  readonly t: number;
  readonly deliveredPps: number;
  readonly delay: DelaySummary;
  /** With `pathTap`: the path's delay (stamp to bond-receiver's output) of the window's first arrivals. */
  readonly pathDelay?: DelaySummary;
  /** With `pathTap: 'both'`: the window's payloads' time inside bond-receiver (input to output). */
  readonly holdDelay?: DelaySummary;
  readonly links: readonly LinkSample[];
}

export interface StandReport {
  readonly ends: EndsKind;
  readonly scheduler: string;
  readonly durationS: number;
  readonly stream: StreamCounts;
  /** With `pathTap`: what came out of bond-receiver (first arrivals, their order and delay). */
  readonly path?: StreamCounts;
  /** With `pathTap: 'both'`: what reached bond-receiver, and each payload's time inside it. */
  readonly input?: StreamCounts;
  readonly hold?: DelaySummary;
  /** Payload numbers never delivered, as ranges (the first 20), to see when losses happened. */
  readonly missingRanges: readonly [number, number][];
  readonly srt: SrtStats;
  /** Per link, over the whole run: share of delivered bytes and linkem's counters. */
  readonly links: readonly {
    readonly name: string;
    readonly share: number;
    readonly up: LinkStats['up'];
  }[];
  readonly sender: SenderSnapshotLike | undefined;
}

/** The parts of bond-sender's `--stats-json` snapshot the stand and its tests read. */
export interface SenderSnapshotLike {
  /** `bootstrap`, `registered`, ... (the registration's phase). */
  readonly phase?: string;
  readonly linksUp: number;
  /** SRT datagrams (data and control) from the encoder. */
  readonly packetsFromEncoder: number;
  /** SRT datagrams from the receiver passed on to the encoder. */
  readonly packetsToEncoder?: number;
  /** Repeats of SRT ACKs and NAKs (sent on every link) not passed on to the encoder. */
  readonly feedbackCopiesDropped?: number;
  readonly droppedNoLink: number;
  readonly droppedOverload: number;
  /** New data the scheduler refused that waited at the sender, and how much of it went out later. */
  readonly deferredOverload?: number;
  readonly sentDeferred?: number;
  /** The SRT latency bond-sender read from the HSv5 handshake, ms, and its queueing budget. */
  readonly srtLatencyMs?: number;
  readonly queueingBudgetMs?: number;
  /** Replies for the encoder dropped because it had not sent anything yet. */
  readonly droppedNoEncoder?: number;
  /** Group bootstraps (REG1) so far: 1 after the first registration, +1 per re-bootstrap. */
  readonly bootstraps?: number;
  readonly receiverKind: string;
  readonly links: readonly {
    readonly id: number;
    readonly name: string;
    readonly bindAddress: string;
    readonly socket: {
      readonly state: string;
      /** Every datagram the link's socket sent (SRT, registration, keepalives). */
      readonly datagramsSent?: number;
      readonly datagramsReceived?: number;
    };
    readonly engine:
      | {
          readonly state: string;
          /** What the link's keepalive echoes say: `bond`, `legacy` or `unknown`. */
          readonly receiver?: string;
          readonly srttMs?: number;
          /** SRT datagrams (data and control) the link carried. */
          readonly packetsSent: number;
          readonly packetsAcked?: number;
          readonly inFlight: number;
        }
      | undefined;
  }[];
}

export interface Stand {
  readonly ends: StreamEnds;
  readonly emulator: LinkEmulator;
  readonly sender: StartedProcess;
  /** The current bond-receiver process (a new one after `restartReceiver`). */
  readonly receiver: StartedProcess;
  /** `http://127.0.0.1:PORT`: the receiver's dashboard, stats and metrics. */
  readonly receiverUrl: string;
  /** bond-sender's page, when `senderHttp` was asked for. */
  readonly senderUrl: string | undefined;
  /** Where the uplink file and srt-live-transmit's stats live. */
  readonly workDir: string;
  /** Starts the paced, stamped stream. */
  startStream(): void;
  /** Stops sending (what is in flight still arrives). */
  stopStream(): void;
  /** Samples the last window (call about once a second); also kept for `samples()`. */
  sample(): StandSample;
  samples(): readonly StandSample[];
  /** The latest `--stats-json` snapshot of bond-sender. */
  senderSnapshot(): SenderSnapshotLike | undefined;
  /**
   * bond-sender's stats now (its `/api/v1/stats`), for reads that must be current.
   *
   * @throws Error when the stand was started without `senderHttp`.
   */
  senderStats(): Promise<SenderSnapshotLike>;
  /** bond-receiver's `/api/v1/stats`. */
  receiverStats(): Promise<ReceiverStatsLike>;
  counts(): StreamCounts;
  /** With `pathTap`: the stream as it came out of bond-receiver; otherwise undefined. */
  pathCounts(): StreamCounts | undefined;
  /** Rewrites the uplink file with these links (by name) and sends bond-sender SIGHUP. */
  setUplinks(names: readonly string[]): Promise<void>;
  /** Stops bond-receiver and starts it again on the same ports. */
  restartReceiver(downMs?: number): Promise<void>;
  /** Waits until `condition` holds, polling, for at most `timeoutMs`. */
  waitFor(
    condition: () => boolean | Promise<boolean>,
    what: string,
    timeoutMs?: number,
  ): Promise<void>;
  report(): Promise<StandReport>;
  /** Stops everything, also after a failure; idempotent. */
  close(): Promise<void>;
}

/** The parts of bond-receiver's `/api/v1/stats` the stand and its tests read. */
export interface ReceiverStatsLike {
  readonly registration?: {
    readonly reg1Received: number;
    readonly groupsCreated: number;
  };
  readonly totals?: {
    /** Every datagram from senders, registered or not. */
    readonly datagramsReceived: number;
    readonly forwardedToListener: number;
    /** Every datagram sent to senders (SRT from the listener, SRTLA ACKs, echoes, replies). */
    readonly sentToSenders: number;
  };
  readonly groups: readonly {
    readonly id: number;
    readonly state?: string;
    /** SRT datagrams from the group's links taken for the listener. */
    readonly packetsForwarded: number;
    readonly packetsFromListener: number;
    /** SRT datagrams from the listener sent to the group's links (one copy per link). */
    readonly packetsToSenders?: number;
    readonly links: readonly {
      /** The link's source address as the receiver sees it (`127.0.0.1:PORT`). */
      readonly address: string;
      readonly state?: string;
      /** Every datagram from the link since it registered. */
      readonly packetsReceived?: number;
      readonly dataPackets: number;
      /** Copies of SRT data the group had already taken (acknowledged, not forwarded again). */
      readonly duplicates?: number;
      readonly keepalives?: number;
    }[];
  }[];
}

/** Where a built app's CLI is. */
export function appBin(app: 'sender' | 'receiver'): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve(`@bond/${app}/package.json`)), 'dist', 'bin.js');
}

export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return port;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  context: () => string = () => '',
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${context()}`);
    }
    await sleep(20);
  }
}

function uplinkLine(link: StandLink, address: string): string {
  return `${address} name=${link.name} priority=${link.priority ?? 100}`;
}

/** 5 ms: the source's pacing tick. */
const PACE_MS = 5;

/**
 * Starts everything and waits until every uplink in the file is registered.
 *
 * @throws Error naming what did not come up (and the processes' output), after stopping all.
 */
export async function createStand(options: StandOptions): Promise<Stand> {
  if (options.links.length === 0) throw new Error('createStand: give at least one link');
  if (!(options.bitrateBps > 0)) throw new Error('createStand: bitrateBps must be > 0');
  const latencyMs = options.latencyMs ?? 1000;
  const workDir = await mkdtemp(join(tmpdir(), 'bond-stand-'));
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch {
        // Keep closing the rest.
      }
    }
  };
  closers.push(() => rm(workDir, { recursive: true, force: true }));
  try {
    return await build();
  } catch (error) {
    await closeAll();
    throw error;
  }

  async function build(): Promise<Stand> {
    const origin = performance.now();
    const clock = (): number => performance.now();
    const meter = new StreamMeter(clock, options.maxPayloads ?? 1_000_000);
    const ends = await openStreamEnds({
      kind: options.ends ?? 'auto',
      latencyMs,
      workDir,
      onPayload: (payload) => {
        meter.noteDelivered(payload);
      },
    });
    closers.push(() => ends.close());
    const tapInput = options.pathTap === 'both';
    const pathMeter =
      options.pathTap === true || tapInput ? new StreamMeter(clock, meter.capacity) : undefined;
    const inputMeter = tapInput ? new StreamMeter(clock, meter.capacity) : undefined;
    const holdMeter = tapInput ? new HoldMeter(clock, meter.capacity) : undefined;
    const tap =
      pathMeter === undefined
        ? undefined
        : await PathTap.open(ends.listenerPort, (payload) => {
            pathMeter.noteDelivered(payload);
            holdMeter?.noteOutput(payload);
          });
    if (tap !== undefined) closers.push(() => tap.close());

    // bond-receiver, forwarding to the sink (through the tap, when there is one).
    const srtlaPort = await freeUdpPort();
    const inputTap =
      inputMeter === undefined
        ? undefined
        : await PathTap.open(srtlaPort, (payload) => {
            inputMeter.noteDelivered(payload);
            holdMeter?.noteInput(payload);
          });
    if (inputTap !== undefined) closers.push(() => inputTap.close());
    const httpPort = options.receiverHttpPort ?? (await freeTcpPort());
    const receiverUrl = `http://127.0.0.1:${httpPort}`;
    const env = { ...process.env, ...options.env };
    const startReceiver = (): StartedProcess =>
      startProcess(
        'bond-receiver',
        process.execPath,
        [
          appBin('receiver'),
          String(srtlaPort),
          '127.0.0.1',
          String(tap?.port ?? ends.listenerPort),
          '--listen',
          '127.0.0.1',
          '--http',
          `127.0.0.1:${httpPort}`,
          '--log-format',
          'json',
          ...(options.reorder === undefined ? [] : ['--reorder', options.reorder]),
        ],
        { env, onLine: (line) => options.onLog?.('receiver', line) },
      );
    let receiver = startReceiver();
    closers.push(() => receiver.stop());
    const receiverStats = async (): Promise<ReceiverStatsLike> => {
      const response = await fetch(`${receiverUrl}/api/v1/stats`);
      return (await response.json()) as ReceiverStatsLike;
    };
    const receiverUp = async (): Promise<boolean> => {
      if (!receiver.running) throw new Error(`bond-receiver exited: ${receiver.output()}`);
      try {
        await receiverStats();
        return true;
      } catch {
        return false;
      }
    };
    await waitUntil(receiverUp, 'bond-receiver to serve its stats', 10_000);

    // linkem: one link per uplink, picked by the sender's source address.
    const addresses = options.links.map((link, i) => link.address ?? `127.0.0.${2 + i}`);
    const emulator = await createLinkEmulator({
      seed: options.seed ?? 1,
      gateway: { address: '127.0.0.1' },
      links: options.links.map((link, i) => ({
        name: link.name,
        from: addresses[i] ?? '',
        target: { address: '127.0.0.1', port: inputTap?.port ?? srtlaPort },
        ...(link.up === undefined ? {} : { up: link.up }),
        down: link.down ?? (link.up?.delayMs === undefined ? {} : { delayMs: link.up.delayMs }),
      })),
    });
    closers.push(() => emulator.close());
    const gateway = emulator.gateway;
    if (gateway === undefined) throw new Error('linkem opened no gateway');

    // bond-sender, its uplinks in a file, its stats on stdout.
    const uplinkFile = join(workDir, 'uplinks.txt');
    const writeUplinks = (names: readonly string[]): Promise<void> => {
      const lines = options.links.flatMap((link, i) =>
        names.includes(link.name) ? [uplinkLine(link, addresses[i] ?? '')] : [],
      );
      return writeFile(uplinkFile, `# bond stand uplinks\n${lines.join('\n')}\n`);
    };
    let activeNames = options.links.filter((link) => link.standby !== true).map((l) => l.name);
    await writeUplinks(activeNames);
    const senderPort = await freeUdpPort();
    const senderHttpPort = options.senderHttp === true ? await freeTcpPort() : undefined;
    let snapshot: SenderSnapshotLike | undefined;
    const sender = startProcess(
      'bond-sender',
      process.execPath,
      [
        appBin('sender'),
        String(senderPort),
        gateway.address,
        String(gateway.port),
        uplinkFile,
        '--scheduler',
        options.scheduler ?? 'adaptive',
        '--stats-json',
        '-',
        '--stats-interval',
        String(options.statsIntervalS ?? 0.5),
        '--log-format',
        'json',
        ...(senderHttpPort === undefined ? [] : ['--http', `127.0.0.1:${senderHttpPort}`]),
      ],
      {
        env,
        onLine: (line, stream) => {
          if (stream === 'stdout' && line.startsWith('{')) {
            try {
              snapshot = JSON.parse(line) as SenderSnapshotLike;
            } catch {
              // A partial line: the next snapshot comes soon.
            }
          } else options.onLog?.('sender', line);
        },
      },
    );
    closers.push(() => sender.stop());
    const linksUp = (): boolean => {
      if (!sender.running) throw new Error(`bond-sender exited: ${sender.output()}`);
      return (snapshot?.linksUp ?? 0) >= activeNames.length;
    };
    await waitUntil(
      linksUp,
      `bond-sender's ${activeNames.length} links to come up`,
      15_000,
      () => `; sender output:\n${sender.output().slice(-2000)}`,
    );
    await ends.connect(senderPort);
    // The SRT handshake went through bond both ways before the stream starts (srt-live-transmit
    // reads nothing from stdin until it is connected; the built-in source needs no handshake).
    if (ends.kind === 'srt-live-transmit') {
      await waitUntil(
        async () => {
          const problem = ends.problem();
          if (problem !== undefined) throw new Error(problem);
          const stats = await receiverStats();
          return stats.groups.some((group) => group.packetsFromListener >= 2);
        },
        'the SRT handshake through bond',
        15_000,
      );
      await sleep(300);
    }

    // The stamped stream, paced from a clock so late ticks catch up.
    const payloadsPerMs = options.bitrateBps / 8 / PAYLOAD_BYTES / 1000;
    let pacer: NodeJS.Timeout | undefined;
    let streamStart = 0;
    let streamStop: number | undefined;
    let sentInStream = 0;
    const pace = (): void => {
      const due = Math.floor((clock() - streamStart) * payloadsPerMs);
      // Only the pacer sends stamped payloads, so sentInStream is the meter's sent count (read here
      // per payload: `meter.counts()` sorts every delay so far, far too dear for that).
      for (; sentInStream < due && sentInStream < meter.capacity; sentInStream++) {
        const number = meter.noteSent();
        pathMeter?.noteSent();
        inputMeter?.noteSent();
        ends.write(stampedPayload(number, clock()));
      }
    };
    closers.push(() => {
      if (pacer !== undefined) clearInterval(pacer);
      return Promise.resolve();
    });

    let lastSample = clock();
    let lastLinkBytes = new Map<string, number>();
    const samples: StandSample[] = [];
    let lastOfferedBytes = new Map<string, number>();
    const linkBytes = (): Map<string, number> =>
      new Map(emulator.stats().map((stats) => [stats.name, stats.up.deliveredBytes]));
    const offeredBytes = (): Map<string, number> =>
      new Map(emulator.stats().map((stats) => [stats.name, stats.up.offeredBytes]));

    const stand: Stand = {
      ends,
      emulator,
      sender,
      get receiver() {
        return receiver;
      },
      receiverUrl,
      senderUrl: senderHttpPort === undefined ? undefined : `http://127.0.0.1:${senderHttpPort}`,
      workDir,
      startStream() {
        if (pacer !== undefined) return;
        streamStart = clock();
        lastSample = streamStart;
        lastLinkBytes = linkBytes();
        lastOfferedBytes = offeredBytes();
        pacer = setInterval(pace, PACE_MS);
      },
      stopStream() {
        if (pacer === undefined) return;
        clearInterval(pacer);
        pacer = undefined;
        streamStop = clock();
        ends.flush();
      },
      sample() {
        const now = clock();
        const seconds = Math.max(1e-3, (now - lastSample) / 1000);
        const bytes = linkBytes();
        const deltas = options.links.map(
          (link) => (bytes.get(link.name) ?? 0) - (lastLinkBytes.get(link.name) ?? 0),
        );
        const total = deltas.reduce((sum, delta) => sum + delta, 0);
        const offered = offeredBytes();
        const offeredDeltas = options.links.map(
          (link) => (offered.get(link.name) ?? 0) - (lastOfferedBytes.get(link.name) ?? 0),
        );
        const offeredTotal = offeredDeltas.reduce((sum, delta) => sum + delta, 0);
        const window = meter.takeWindow();
        const pathWindow = pathMeter?.takeWindow();
        const holdWindow = holdMeter?.takeWindow();
        const stats = emulator.stats();
        const sample: StandSample = {
          t: (now - (streamStart || origin)) / 1000,
          deliveredPps: window.delivered / seconds,
          delay: window.delay,
          ...(pathWindow === undefined ? {} : { pathDelay: pathWindow.delay }),
          ...(holdWindow === undefined ? {} : { holdDelay: holdWindow }),
          links: options.links.map((link, i) => {
            const senderLink = snapshot?.links.find((l) => l.name === link.name);
            const linkStats = stats[i];
            return {
              name: link.name,
              share: total > 0 ? (deltas[i] ?? 0) / total : 0,
              deliveredBps: ((deltas[i] ?? 0) * 8) / seconds,
              offeredShare: offeredTotal > 0 ? (offeredDeltas[i] ?? 0) / offeredTotal : 0,
              offeredBps: ((offeredDeltas[i] ?? 0) * 8) / seconds,
              queueMs: linkStats?.up.queueMs ?? 0,
              droppedUp:
                linkStats === undefined
                  ? 0
                  : Object.values(linkStats.up.dropped).reduce((sum, n) => sum + n, 0),
              rttMs: senderLink?.engine?.srttMs,
              state:
                senderLink === undefined
                  ? activeNames.includes(link.name)
                    ? 'missing'
                    : 'not in file'
                  : senderLink.socket.state === 'open'
                    ? senderLink.engine?.state
                    : senderLink.socket.state,
            };
          }),
        };
        lastSample = now;
        lastLinkBytes = bytes;
        lastOfferedBytes = offered;
        samples.push(sample);
        return sample;
      },
      samples: () => samples,
      senderSnapshot: () => snapshot,
      async senderStats() {
        if (senderHttpPort === undefined) {
          throw new Error('senderStats(): start the stand with `senderHttp: true` to read them');
        }
        const response = await fetch(`http://127.0.0.1:${senderHttpPort}/api/v1/stats`);
        return (await response.json()) as SenderSnapshotLike;
      },
      receiverStats,
      counts: () => meter.counts(),
      pathCounts: () => pathMeter?.counts(),
      async setUplinks(names) {
        activeNames = [...names];
        await writeUplinks(names);
        sender.signal('SIGHUP');
      },
      async restartReceiver(downMs = 0) {
        await receiver.stop();
        if (downMs > 0) await sleep(downMs);
        receiver = startReceiver();
        await waitUntil(receiverUp, 'bond-receiver to serve its stats again', 10_000);
      },
      waitFor: (condition, what, timeoutMs = 10_000) =>
        waitUntil(condition, what, timeoutMs, () => {
          const problem = ends.problem();
          return problem === undefined ? '' : `; ${problem}`;
        }),
      async report() {
        const stats = emulator.stats();
        const total = stats.reduce((sum, s) => sum + s.up.deliveredBytes, 0);
        const end = streamStop ?? clock();
        return {
          ends: ends.kind,
          scheduler: options.scheduler ?? 'adaptive',
          durationS: streamStart === 0 ? 0 : (end - streamStart) / 1000,
          stream: meter.counts(),
          ...(pathMeter === undefined ? {} : { path: pathMeter.counts() }),
          ...(inputMeter === undefined ? {} : { input: inputMeter.counts() }),
          ...(holdMeter === undefined ? {} : { hold: holdMeter.summary() }),
          missingRanges: meter.missingRanges(),
          srt: await ends.srtStats(),
          links: stats.map((s) => ({
            name: s.name,
            share: total > 0 ? s.up.deliveredBytes / total : 0,
            up: s.up,
          })),
          sender: snapshot,
        };
      },
      close: closeAll,
    };
    return stand;
  }
}
