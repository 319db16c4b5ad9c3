// A real encoder names its stream: ffmpeg encodes a test pattern as MPEG-TS and calls over SRT
// with a MediaMTX-style stream id holding a password -> bond-sender (two named uplinks on
// 127.0.0.2/3) -> bond-receiver -> ffmpeg as SRT listener decoding to null. The receiver's log,
// /api/v1/stats, /metrics and the dashboard's event stream name the stream `live/feed1` and the
// uplinks `wwan0` / `wifi`, never the password; the decoding ffmpeg reports no errors. Needs the
// built apps (`pnpm build`) and ffmpeg with libsrt; skipped visibly without them. Every process is
// stopped in `afterEach`, also on failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freeTcpPort, freeUdpPort } from '@bond/stand';

const root = join(import.meta.dirname, '..', '..');
const RECEIVER_BIN = join(root, 'apps/receiver/dist/bin.js');
const SENDER_BIN = join(root, 'apps/sender/dist/bin.js');
const SECRET = 'secretpass';
const STREAM_ID = `publish:live/feed1:user:${SECRET}`;
// 8 s of test pattern at 25 frames/s, encoded in real time (-re): bounded by itself.
const SECONDS = 8;

function ffmpegHasSrt(): boolean {
  const probe = spawnSync('ffmpeg', ['-hide_banner', '-protocols'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return probe.error === undefined && /^\s*srt\s*$/m.test(probe.stdout);
}
const available = existsSync(RECEIVER_BIN) && existsSync(SENDER_BIN) && ffmpegHasSrt();

interface Started {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | string>;
}

const started: Started[] = [];
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const process of started.splice(0).reverse()) {
    const { child } = process;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await process.exited;
      clearTimeout(timer);
    }
  }
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function start(command: string, args: readonly string[]): Started {
  const child = spawn(command, [...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BOND_IO_BACKEND: '' },
  });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
    });
    child.on('error', (error) => {
      resolve(error.message);
    });
  });
  const entry = { child, output: () => text, exited };
  started.push(entry);
  return entry;
}

/** Polls `check` every 100 ms for at most `ms`; fails with `what` and `detail()`. */
async function waitFor(
  check: () => Promise<boolean> | boolean,
  what: string,
  ms: number,
  detail: () => string,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface GroupJson {
  stream: string | null;
  packetsForwarded: number;
  links: { name: string; address: string }[];
}

describe('stream identity with a real encoder', () => {
  it.skipIf(!available)(
    'ffmpeg -> bond-sender -> bond-receiver -> ffmpeg: the stream id shows redacted everywhere (needs ffmpeg with SRT and the built apps)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'bond-stream-identity-'));
      cleanups.push(() => {
        rmSync(dir, { recursive: true, force: true });
      });
      const uplinks = join(dir, 'uplinks.txt');
      writeFileSync(uplinks, '127.0.0.2 name=wwan0 kind=cellular\n127.0.0.3 name=wifi kind=wifi\n');
      const [listenerPort, receiverPort, senderPort, httpPort] = [
        await freeUdpPort(),
        await freeUdpPort(),
        await freeUdpPort(),
        await freeTcpPort(),
      ];

      // The SRT listener: ffmpeg decoding whatever arrives, reporting errors only.
      const decoder = start('ffmpeg', [
        '-nostdin',
        '-hide_banner',
        '-loglevel',
        'error',
        '-i',
        `srt://127.0.0.1:${listenerPort}?mode=listener&latency=1000000`,
        '-f',
        'null',
        '-',
      ]);
      const receiver = start(process.execPath, [
        RECEIVER_BIN,
        '--srtla_port',
        String(receiverPort),
        '--srt_hostname',
        '127.0.0.1',
        '--srt_port',
        String(listenerPort),
        '--listen',
        '127.0.0.1',
        '--http',
        `127.0.0.1:${httpPort}`,
        '--log-format',
        'json',
      ]);
      const sender = start(process.execPath, [
        SENDER_BIN,
        String(senderPort),
        '127.0.0.1',
        String(receiverPort),
        uplinks,
      ]);
      const base = `http://127.0.0.1:${httpPort}`;
      const processes = () =>
        `decoder:\n${decoder.output()}\nreceiver:\n${receiver.output()}\nsender:\n${sender.output()}`;
      const groups = async (): Promise<GroupJson[]> => {
        try {
          const stats = (await (await fetch(`${base}/api/v1/stats`)).json()) as {
            groups: GroupJson[];
          };
          return stats.groups;
        } catch {
          return [];
        }
      };
      await waitFor(
        async () => (await groups())[0]?.links.length === 2,
        'both uplinks registered',
        15_000,
        processes,
      );

      const encoder = start('ffmpeg', [
        '-nostdin',
        '-hide_banner',
        '-loglevel',
        'error',
        '-re',
        '-f',
        'lavfi',
        '-i',
        `testsrc=size=320x240:rate=25:duration=${SECONDS}`,
        '-c:v',
        'mpeg2video',
        '-b:v',
        '1M',
        '-f',
        'mpegts',
        `srt://127.0.0.1:${senderPort}?streamid=${STREAM_ID}&latency=1000000&pkt_size=1316`,
      ]);
      await waitFor(
        async () => {
          const group = (await groups())[0];
          return group?.stream === 'live/feed1' && group.packetsForwarded > 200;
        },
        'the stream named and carrying data',
        20_000,
        () => `${processes()}\nencoder:\n${encoder.output()}`,
      );
      await waitFor(
        async () =>
          (await groups())[0]?.links
            .map((link) => link.name)
            .sort()
            .join() === 'wifi,wwan0',
        'both uplinks named',
        5000,
        processes,
      );

      const statsText = await (await fetch(`${base}/api/v1/stats`)).text();
      const metrics = await (await fetch(`${base}/metrics`)).text();
      const page = await (await fetch(`${base}/`)).text();
      const events = await fetch(`${base}/api/v1/events`);
      const reader = events.body?.getReader();
      let eventText = '';
      for (let reads = 0; reads < 20 && !eventText.includes('\n\n'); reads++) {
        const chunk = await reader?.read();
        if (chunk === undefined || chunk.done) break;
        eventText += new TextDecoder().decode(chunk.value as Uint8Array);
      }
      await reader?.cancel();

      const stats = JSON.parse(statsText) as { groups: GroupJson[] };
      expect(stats.groups.map((group) => group.stream)).toEqual(['live/feed1']);
      expect(metrics).toMatch(/bond_receiver_group_links\{[^}]*stream="live\/feed1"[^}]*\} 2/);
      expect(metrics).toMatch(/bond_receiver_link_bytes_total\{[^}]*name="wwan0"[^}]*\} [1-9]/);
      expect(eventText).toMatch(/"stream": ?"live\/feed1"/);
      // The page titles groups from the events it reads: its code uses the `stream` field.
      expect(page).toContain('group.stream');

      // The encoder finishes by itself; the decoder then sees the end of the stream.
      expect(await encoder.exited).toBe(0);
      const decoderExit = await Promise.race([
        decoder.exited,
        new Promise((resolve) =>
          setTimeout(() => {
            resolve('still running');
          }, 15_000),
        ),
      ]);
      expect(decoderExit).toBe(0);
      // ffmpeg's SRT input ends a stream with one "Input/output error" when the caller closes
      // (ffmpeg to ffmpeg directly does the same); anything else is a decoding error.
      const decoderErrors = decoder
        .output()
        .split('\n')
        .map((line) => line.trim())
        .filter(
          (line) =>
            line !== '' &&
            !/^srt:\/\/\S+: Input\/output error$/.test(line) &&
            !/^Last message repeated \d+ times$/.test(line),
        );
      expect(decoderErrors).toEqual([]);

      const logLines = receiver
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(logLines).toContainEqual(
        expect.objectContaining({ msg: 'stream identified', stream: 'live/feed1' }),
      );
      expect(logLines).toContainEqual(
        expect.objectContaining({ msg: 'uplink named by the sender', name: 'wwan0' }),
      );
      for (const surface of [receiver.output(), statsText, metrics, eventText, page]) {
        expect(surface).not.toContain(SECRET);
      }
    },
    90_000,
  );
});
