/**
 * A stand-in for the SRTLA receivers other projects ship (BELABOX srtla_rec, the irlserver
 * receiver), answering the way the captures in `packages/wire/test/vectors` show them answering: every
 * reply's bytes and length are taken from a capture, not written here.
 *
 * What a capture gives (the `sender<->receiver` hop, `from receiver`):
 * * the REG_NGP and REG3 replies as sent, 2 bytes or padded with zeros to 32;
 * * the padding rule: the irlserver receiver pads every datagram shorter than 32 bytes that it
 *   sends to a sender (replies, keepalive echoes, forwarded SRT keepalives), BELABOX pads none;
 * * keepalive echoes: the sender's keepalive back byte for byte (then padded), no bond trailer
 *   of its own (bond's trailer in the keepalive simply comes back);
 * * the REG2 reply: the sender's first 128 id bytes, then 128 of the receiver's own;
 * * SRTLA ACKs: the captured 4-byte header, then one u32 per data packet, 10 per ACK, per link.
 *
 * The rest follows protocol.md 4.2, 6.4 and 6.5 as these receivers implement it: REG1/REG2 only at
 * 258 bytes; from a registered link, anything of 16 bytes or more is SRT and goes to the SRT
 * listener through one socket; SRT ACKs and NAKs from the listener go to every link, all else to
 * the link that sent SRT last. One group (one sender) at a time.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { hexToBytes } from '@bond/wire';
import {
  CAPTURED_SESSION_FILES,
  loadCapturedSession,
} from '../../../packages/wire/test/vectors.js';
import { bindLoopback, closeQuietly } from '../src/udp.js';

/** The captured sessions, one per receiver implementation. */
export const CAPTURED_RECEIVERS = CAPTURED_SESSION_FILES;

/** How one captured receiver answers. */
export interface CapturedReceiverStyle {
  /** The capture's title. */
  readonly title: string;
  /** The REG_NGP reply, as captured. */
  readonly ngp: Uint8Array;
  /** The REG3 reply, as captured. */
  readonly reg3: Uint8Array;
  /** The REG2 reply's first two bytes, as captured. */
  readonly reg2Type: Uint8Array;
  /** Datagrams to senders shorter than this are padded with zeros to it (2: no padding). */
  readonly padTo: number;
  /** An SRTLA ACK's first 4 bytes, as captured. */
  readonly ackHeader: Uint8Array;
  /** Sequence numbers per SRTLA ACK, as captured. */
  readonly seqsPerAck: number;
}

/** 258: REG1 and REG2 are recognised only at exactly this length (protocol.md 2). */
const REG_LENGTH = 258;
/** 128: the half of the group id each side draws (protocol.md 4). */
const ID_HALF = 128;
/** 16: an SRT header; shorter datagrams from a link are dropped (protocol.md 2). */
const SRT_HEADER_LENGTH = 16;
const TYPE_KEEPALIVE = 0x9000;
const TYPE_REG1 = 0x9200;
const TYPE_REG2 = 0x9201;
const SRT_ACK = 0x8002;
const SRT_NAK = 0x8003;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}

function allZero(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0);
}

/**
 * Reads how the receiver of capture `file` answers, and checks the capture says so consistently.
 *
 * @throws Error naming what the capture lacks or contradicts.
 */
export function loadCapturedReceiverStyle(
  file: (typeof CAPTURED_RECEIVERS)[number],
): CapturedReceiverStyle {
  const session = loadCapturedSession(file);
  const hop = session.datagrams.filter((d) => d.hop === 'sender<->receiver');
  const fromReceiver = hop.filter((d) => d.dir === 'from receiver');
  const first = (kind: string, list = fromReceiver): Uint8Array => {
    const found = list.find((d) => d.kind === kind);
    if (found === undefined) throw new Error(`${file}: no ${kind} in the capture`);
    return hexToBytes(found.hex);
  };
  const ngp = first('srtla-reg-ngp');
  const reg3 = first('srtla-reg3');
  const reg2Reply = first('srtla-reg2');
  const reg1 = first(
    'srtla-reg1',
    hop.filter((d) => d.dir === 'to receiver'),
  );
  const ack = first('srtla-ack');
  const padTo = reg3.length;
  if (ngp.length !== padTo || !allZero(ngp.subarray(2)) || !allZero(reg3.subarray(2))) {
    throw new Error(`${file}: REG_NGP and REG3 replies are not padded alike`);
  }
  if (!sameBytes(reg1.subarray(2, 2 + ID_HALF), reg2Reply.subarray(2, 2 + ID_HALF))) {
    throw new Error(`${file}: the REG2 reply does not start with the sender's id half`);
  }
  // Every keepalive echo: the keepalive sent to that address just before, then zeros to padTo.
  hop.forEach((echo, i) => {
    if (echo.kind !== 'srtla-keepalive' || echo.dir !== 'from receiver') return;
    const sent = hop
      .slice(0, i)
      .reverse()
      .find((d) => d.kind === 'srtla-keepalive' && d.dir === 'to receiver' && d.src === echo.dst);
    const echoed = hexToBytes(echo.hex);
    const original = sent === undefined ? undefined : hexToBytes(sent.hex);
    if (
      original === undefined ||
      echoed.length !== Math.max(original.length, padTo) ||
      !sameBytes(echoed.subarray(0, original.length), original) ||
      !allZero(echoed.subarray(original.length))
    ) {
      throw new Error(`${file}: a keepalive echo that is not the keepalive padded to ${padTo}`);
    }
  });
  if (fromReceiver.some((d) => d.len < padTo)) {
    throw new Error(
      `${file}: a datagram to the sender shorter than the ${padTo} bytes replies have`,
    );
  }
  if ((ack.length - 4) % 4 !== 0) throw new Error(`${file}: an SRTLA ACK of ${ack.length} bytes`);
  return {
    title: session.title,
    ngp,
    reg3,
    reg2Type: reg2Reply.subarray(0, 2),
    padTo,
    ackHeader: ack.subarray(0, 4),
    seqsPerAck: (ack.length - 4) / 4,
  };
}

/** What the stand-in saw and sent, per link keyed `address:port`. */
export interface CapturedReceiverCounts {
  reg1: number;
  reg2: number;
  ngpSent: number;
  /** Links that got a REG3 (registered). */
  readonly registered: Set<string>;
  keepalivesEchoed: number;
  /** Keepalives that arrived with more than the 38 bytes of an extended keepalive. */
  keepalivesWithTrailer: number;
  readonly dataPackets: Map<string, number>;
  readonly srtlaAcksSent: Map<string, number>;
  forwardedToListener: number;
  fromListener: number;
  /** Every datagram's length sent to the sender. */
  readonly sentLengths: number[];
}

export interface CapturedReceiver {
  readonly port: number;
  readonly counts: CapturedReceiverCounts;
  close(): Promise<void>;
}

/** 38: an extended keepalive v1 without anything after it (protocol.md 5). */
const EXTENDED_KEEPALIVE_LENGTH = 38;

/**
 * Starts the stand-in on 127.0.0.1 (a free port), forwarding SRT to the listener on 127.0.0.1
 * `listenerPort`.
 */
export async function startCapturedReceiver(
  style: CapturedReceiverStyle,
  listenerPort: number,
): Promise<CapturedReceiver> {
  const links = createSocket('udp4');
  const upstream = createSocket('udp4');
  links.on('error', () => undefined);
  upstream.on('error', () => undefined);
  await bindLoopback(links, 0);
  await bindLoopback(upstream, 0);
  const counts: CapturedReceiverCounts = {
    reg1: 0,
    reg2: 0,
    ngpSent: 0,
    registered: new Set(),
    keepalivesEchoed: 0,
    keepalivesWithTrailer: 0,
    dataPackets: new Map(),
    srtlaAcksSent: new Map(),
    forwardedToListener: 0,
    fromListener: 0,
    sentLengths: [],
  };
  let groupId: Buffer | undefined;
  let lastAddress: RemoteInfo | undefined;
  const addresses = new Map<string, RemoteInfo>();
  const unacked = new Map<string, number[]>();

  const send = (bytes: Uint8Array, to: RemoteInfo): void => {
    const out = Buffer.alloc(Math.max(bytes.length, style.padTo));
    out.set(bytes);
    counts.sentLengths.push(out.length);
    links.send(out, to.port, to.address);
  };
  const key = (from: RemoteInfo): string => `${from.address}:${from.port}`;

  links.on('message', (message, from) => {
    const type = message.length >= 2 ? message.readUInt16BE(0) : -1;
    const link = key(from);
    if (type === TYPE_REG1 && message.length === REG_LENGTH) {
      counts.reg1++;
      // A new group: the sender's id half, then this receiver's own.
      groupId = Buffer.concat([message.subarray(2, 2 + ID_HALF), randomBytes(ID_HALF)]);
      send(Buffer.concat([style.reg2Type, groupId]), from);
      return;
    }
    if (type === TYPE_REG2 && message.length === REG_LENGTH) {
      counts.reg2++;
      if (groupId?.equals(message.subarray(2)) !== true) {
        counts.ngpSent++;
        send(style.ngp, from);
        return;
      }
      counts.registered.add(link);
      addresses.set(link, from);
      send(style.reg3, from);
      return;
    }
    if (!counts.registered.has(link)) return; // unregistered: dropped silently
    if (type === TYPE_KEEPALIVE) {
      counts.keepalivesEchoed++;
      if (message.length > EXTENDED_KEEPALIVE_LENGTH) counts.keepalivesWithTrailer++;
      send(message, from);
      return;
    }
    if (message.length < SRT_HEADER_LENGTH) return;
    lastAddress = from;
    if ((message.readUInt32BE(0) & 0x8000_0000) === 0) {
      counts.dataPackets.set(link, (counts.dataPackets.get(link) ?? 0) + 1);
      const pending = unacked.get(link) ?? [];
      pending.push(message.readUInt32BE(0));
      if (pending.length === style.seqsPerAck) {
        const ack = Buffer.alloc(4 + 4 * pending.length);
        ack.set(style.ackHeader);
        pending.forEach((seq, i) => ack.writeUInt32BE(seq, 4 + 4 * i));
        counts.srtlaAcksSent.set(link, (counts.srtlaAcksSent.get(link) ?? 0) + 1);
        send(ack, from);
        unacked.set(link, []);
      } else {
        unacked.set(link, pending);
      }
    }
    counts.forwardedToListener++;
    upstream.send(message, listenerPort, '127.0.0.1');
  });

  upstream.on('message', (message) => {
    counts.fromListener++;
    const type = message.length >= 2 ? message.readUInt16BE(0) : -1;
    if (type === SRT_ACK || type === SRT_NAK) {
      for (const to of addresses.values()) send(message, to);
    } else if (lastAddress !== undefined) {
      send(message, lastAddress);
    }
  });

  return {
    port: links.address().port,
    counts,
    async close() {
      await closeQuietly(links);
      await closeQuietly(upstream);
    },
  };
}
