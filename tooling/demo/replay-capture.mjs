#!/usr/bin/env node
// The smaller demo, until bond-sender and bond-receiver exist: replays a real SRTLA session
// (captured on loopback between BELABOX srtla_send, an SRTLA receiver and srt-live-transmit) through
// @bond/wire and narrates it: how two links register into one group, how data is spread over them,
// how the receiver acknowledges and how keepalives measure each link.
//
// Usage: node tooling/demo/replay-capture.mjs [capture.json]   (default: the BELABOX -> irlserver session)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  DATAGRAM_KIND_NAMES,
  DatagramKind,
  SRT_CONTROL,
  classifyDatagram,
  decodeReg1,
  decodeReg2,
  decodeSrtAck,
  decodeSrtHandshake,
  decodeSrtla,
  groupIdMatchesSender,
  hexToBytes,
  peekSrtControlType,
  peekSrtDataSeq,
  seqDistance,
} from '@bond/wire';

/** A capture from the wire package's test vectors (see their README). */
const DEFAULT_CAPTURE = join(
  import.meta.dirname,
  '..',
  '..',
  'packages',
  'wire',
  'test',
  'vectors',
  'srtla-session-belabox-to-irlserver.json',
);

const CONTROL_NAMES = new Map(Object.entries(SRT_CONTROL).map(([name, type]) => [type, name]));

/** One line describing a datagram, or undefined for routine traffic that is only counted. */
function describe(datagram, bytes, state) {
  const kind = classifyDatagram(bytes);
  const where = `${datagram.src} -> ${datagram.dst}`;
  switch (kind) {
    case DatagramKind.SrtlaReg1: {
      state.senderId = decodeReg1(bytes);
      return `REG1   ${where}  sender asks for a group (id ${hexPrefix(state.senderId)}...)`;
    }
    case DatagramKind.SrtlaReg2: {
      const groupId = decodeReg2(bytes);
      if (datagram.dir === 'from receiver') {
        const ok = state.senderId !== undefined && groupIdMatchesSender(groupId, state.senderId);
        return `REG2   ${where}  receiver creates the group; first half ${ok ? 'matches' : 'does NOT match'} the sender id`;
      }
      state.links.add(datagram.src);
      return `REG2   ${where}  link ${datagram.src} asks to join group ${hexPrefix(groupId)}...`;
    }
    case DatagramKind.SrtlaRegNgp:
      return `NGP    ${where}  "no such group" (${bytes.length} bytes): the probe proves the link is alive`;
    case DatagramKind.SrtlaReg3:
      return `REG3   ${where}  link is up (${bytes.length} bytes${bytes.length > 2 ? ', padded' : ''})`;
    case DatagramKind.SrtlaRegErr:
      return `ERR    ${where}  registration refused for now`;
    case DatagramKind.SrtlaKeepalive: {
      const packet = decodeSrtla(bytes);
      const ts = packet.type === 'keepalive' ? packet.keepalive.timestampMs : undefined;
      state.keepalives++;
      if (state.keepalives > 4) return undefined;
      return `KEEP   ${where}  keepalive, ${bytes.length} bytes${ts === undefined ? '' : `, timestamp ${ts} ms`}`;
    }
    case DatagramKind.SrtlaAck: {
      const packet = decodeSrtla(bytes);
      state.srtlaAcks++;
      if (state.srtlaAcks > 2 || packet.type !== 'ack') return undefined;
      return `ACK    ${where}  SRTLA ACK for seqs ${packet.seqs[0]}..${packet.seqs.at(-1)} (${packet.seqs.length})`;
    }
    case DatagramKind.SrtData: {
      if (datagram.dir !== 'to receiver') return undefined;
      const seq = peekSrtDataSeq(bytes);
      state.perLink.set(datagram.src, (state.perLink.get(datagram.src) ?? 0) + 1);
      if (state.lastSeq !== undefined)
        state.maxGap = Math.max(state.maxGap, seqDistance(state.lastSeq, seq));
      state.lastSeq = seq;
      return undefined;
    }
    case DatagramKind.SrtControl: {
      const type = peekSrtControlType(bytes);
      if (type === SRT_CONTROL.HANDSHAKE && datagram.hop !== 'receiver<->listener') {
        const handshake = decodeSrtHandshake(bytes);
        return `SRT    ${where}  handshake v${handshake.version}, type 0x${handshake.handshakeType.toString(16)} (forwarded unchanged)`;
      }
      if (type === SRT_CONTROL.ACK && datagram.dir === 'from receiver') {
        state.srtAcks++;
        if (state.srtAcks > 1) return undefined;
        return `SRT    ${where}  SRT ACK up to seq ${decodeSrtAck(bytes).ackSeq}, sent on every link`;
      }
      if (type === SRT_CONTROL.SHUTDOWN && datagram.hop !== 'receiver<->listener') {
        return `SRT    ${where}  ${CONTROL_NAMES.get(type) ?? 'control'}`;
      }
      return undefined;
    }
    default:
      return `?      ${where}  ${DATAGRAM_KIND_NAMES[kind]} (${bytes.length} bytes)`;
  }
}

function hexPrefix(bytes) {
  return Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Replays `file` and returns the narration lines and a summary. */
export function replayCapture(file = DEFAULT_CAPTURE) {
  const capture = JSON.parse(readFileSync(file, 'utf8'));
  const state = {
    senderId: undefined,
    links: new Set(),
    perLink: new Map(),
    keepalives: 0,
    srtlaAcks: 0,
    srtAcks: 0,
    lastSeq: undefined,
    maxGap: 0,
  };
  const counts = new Map();
  const lines = [];
  for (const datagram of capture.datagrams) {
    const bytes = hexToBytes(datagram.hex);
    const name = DATAGRAM_KIND_NAMES[classifyDatagram(bytes)];
    counts.set(name, (counts.get(name) ?? 0) + 1);
    const line = describe(datagram, bytes, state);
    if (line !== undefined) lines.push(`${datagram.t_ms.toFixed(1).padStart(9)} ms  ${line}`);
  }
  return { title: capture.title, lines, counts, links: [...state.links], perLink: state.perLink };
}

function main() {
  // `pnpm demo:replay -- FILE` hands the script the `--` too.
  const args = process.argv[2] === '--' ? process.argv.slice(3) : process.argv.slice(2);
  const file = args[0] ?? DEFAULT_CAPTURE;
  const { title, lines, counts, links, perLink } = replayCapture(file);
  console.log(`bond demo: a real SRTLA session, decoded by @bond/wire\n${title}\n`);
  for (const line of lines) console.log(line);
  console.log(`\n${links.length} links joined one group: ${links.join(', ')}`);
  for (const [link, packets] of perLink) {
    console.log(`  ${link} carried ${packets} of the captured SRT data packets`);
  }
  console.log('\nEvery datagram, by kind:');
  for (const [name, count] of [...counts].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${name.padEnd(16)} ${count}`);
  }
  console.log(
    '\nNext: the live bonding demo (bond-sender -> emulated links -> bond-receiver -> SRT listener) replaces this replay.',
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
