// The receiver learns who a group is: the SRT stream id from the caller's conclusion handshake as
// it passes toward the listener, and each link's name from a bond sender's keepalive trailer.
import {
  Address,
  DatagramKind,
  SRT_HANDSHAKE_EXTENSION_FLAG,
  SRT_HANDSHAKE_TYPE,
  classifyDatagram,
  decodeReg2,
  encodeKeepalive,
  encodeReg1,
  encodeReg2,
  encodeSrtStreamIdExtension,
  hexToBytes,
  type SenderTelemetry,
} from '@bond/wire';
import { describe, expect, it } from 'vitest';
import {
  ReceiverEngine,
  ReceiverTarget,
  createSeededRandom,
  type ReceiverEvent as CoreEvent,
} from '../src/index.js';
import { srtHandshake } from '@bond/wire/testing';

function address(ip: string, port: number): Address {
  const parsed = Address.parse(ip, port);
  if (parsed === undefined) throw new Error(`bad address ${ip}`);
  return parsed;
}
const A = address('127.0.0.2', 5001);
const B = address('127.0.0.3', 5002);

function events(receiver: ReceiverEngine): CoreEvent[] {
  const out: CoreEvent[] = [];
  for (let e = receiver.pollEvent(); e !== undefined; e = receiver.pollEvent()) out.push(e);
  return out;
}

function upstreamBytes(receiver: ReceiverEngine): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let t = receiver.pollTransmit(); t !== undefined; t = receiver.pollTransmit()) {
    if (t.target === ReceiverTarget.Upstream) out.push(t.bytes.slice());
  }
  return out;
}

function registered(links: Address[]) {
  const receiver = new ReceiverEngine({ random: createSeededRandom(3) });
  const [first] = links;
  if (first === undefined) throw new Error('need a link');
  receiver.handleDatagram(0, first, encodeReg1(new Uint8Array(256).fill(7)));
  let groupId: Uint8Array | undefined;
  for (let t = receiver.pollTransmit(); t !== undefined; t = receiver.pollTransmit()) {
    if (classifyDatagram(t.bytes) === DatagramKind.SrtlaReg2) groupId = decodeReg2(t.bytes);
  }
  if (groupId === undefined) throw new Error('no REG2');
  for (const link of links) receiver.handleDatagram(0, link, encodeReg2(groupId));
  upstreamBytes(receiver);
  events(receiver);
  return receiver;
}

function handshake(type: number, extensions: Uint8Array, version = 5): Uint8Array {
  return srtHandshake({
    version,
    extension:
      type === SRT_HANDSHAKE_TYPE.CONCLUSION
        ? SRT_HANDSHAKE_EXTENSION_FLAG.HSREQ | SRT_HANDSHAKE_EXTENSION_FLAG.CONFIG
        : 2,
    initialSeq: 1,
    handshakeType: type,
    socketId: 99,
    cookie: 0x1234,
    extensions,
  });
}
const HSREQ = hexToBytes('00010003' + '00010501' + '000000bf' + '03e803e8');
function conclusionWith(streamId: string): Uint8Array {
  const sid = encodeSrtStreamIdExtension(streamId);
  const extensions = new Uint8Array(HSREQ.length + sid.length);
  extensions.set(HSREQ);
  extensions.set(sid, HSREQ.length);
  return handshake(SRT_HANDSHAKE_TYPE.CONCLUSION, extensions);
}

const telemetry: SenderTelemetry = {
  linkId: 1,
  linkName: 'wwan0',
  interfaceKind: 'cellular',
  priority: 100,
  srttUs: 40_000,
  rttvarUs: 1000,
  window: 20_000,
  inFlight: 0,
  packetsSent: 0,
  bytesSent: 0,
  packetsNaked: 0,
  packetsRetransmitted: 0,
  sendRateBytesPerSec: 0,
  sharePermille: 500,
  capabilities: 0,
};
function bondKeepalive(linkName: string): Uint8Array {
  const info = {
    connId: 1,
    window: 20_000,
    inFlight: 0,
    rttMs: 40,
    nakCount: 0,
    bitrateBytesPerSec: 0,
  };
  return encodeKeepalive({
    timestampMs: 1,
    info,
    trailer: { body: 'sender', sender: { ...telemetry, linkName } },
  });
}

describe('receiver: the stream id from the caller conclusion handshake', () => {
  it('records it, says so once, and forwards the handshake unchanged', () => {
    const receiver = registered([A, B]);
    const conclusion = conclusionWith('publish:live/feed1:user:secretpass');
    receiver.handleDatagram(10, A, handshake(SRT_HANDSHAKE_TYPE.INDUCTION, new Uint8Array(0), 4));
    // The first SRT packet (a handshake) makes the group active; it names nothing.
    expect(events(receiver)).toEqual([{ type: 'group-active', groupId: 1 }]);
    expect(receiver.stats(10).groups[0]?.streamId).toBeUndefined();
    upstreamBytes(receiver);
    // The caller repeats its conclusion until answered, on any link.
    receiver.handleDatagram(20, A, conclusion);
    receiver.handleDatagram(30, B, conclusion);
    expect(upstreamBytes(receiver)).toEqual([conclusion, conclusion]);
    const named = events(receiver);
    expect(named).toEqual([
      { type: 'group-stream', groupId: 1, streamId: 'publish:live/feed1:user:secretpass' },
    ]);
    expect(receiver.stats(30).groups[0]?.streamId).toBe('publish:live/feed1:user:secretpass');
  });

  it('takes a new stream id when the caller reconnects with another one', () => {
    const receiver = registered([A]);
    receiver.handleDatagram(10, A, conclusionWith('live/one'));
    receiver.handleDatagram(20, A, conclusionWith('live/two'));
    expect(events(receiver).map((e) => (e.type === 'group-stream' ? e.streamId : e.type))).toEqual([
      'group-active',
      'live/one',
      'live/two',
    ]);
    expect(receiver.stats(20).groups[0]?.streamId).toBe('live/two');
  });

  it('forwards a conclusion without a stream id, or a malformed one, and names nothing', () => {
    const receiver = registered([A]);
    const plain = handshake(SRT_HANDSHAKE_TYPE.CONCLUSION, HSREQ);
    const broken = conclusionWith('live/feed1').subarray(0, 64 + 16 + 6); // SID block cut short
    receiver.handleDatagram(10, A, plain);
    receiver.handleDatagram(20, A, broken);
    expect(upstreamBytes(receiver)).toEqual([plain, broken.slice()]);
    expect(events(receiver)).toEqual([{ type: 'group-active', groupId: 1 }]);
    const group = receiver.stats(20).groups[0];
    expect(group?.streamId).toBeUndefined();
    expect(group?.malformedHandshakes).toBe(1);
  });

  it('reads handshakes only: data packets that happen to look like one are not parsed', () => {
    const receiver = registered([A]);
    const lookalike = conclusionWith('live/feed1');
    lookalike[0] = 0x00; // bit 31 clear: SRT data
    receiver.handleDatagram(10, A, lookalike);
    expect(events(receiver).filter((e) => e.type === 'group-stream')).toEqual([]);
  });
});

describe('receiver: link names from a bond sender', () => {
  it('names the link from the trailer, once, made printable; keeps the address as its key', () => {
    const receiver = registered([A, B]);
    receiver.handleDatagram(10, A, bondKeepalive('wwan0'));
    receiver.handleDatagram(1010, A, bondKeepalive('wwan0'));
    receiver.handleDatagram(10, B, bondKeepalive('wifi\n"fake" line'));
    const named = events(receiver).flatMap((e) =>
      e.type === 'link-named' ? [[e.address.toString(), e.name]] : [],
    );
    expect(named).toEqual([
      ['127.0.0.2:5001', 'wwan0'],
      ['127.0.0.3:5002', 'wifi?"fake" line'],
    ]);
    const links = receiver.stats(1010).groups[0]?.links ?? [];
    expect(links.map((link) => [link.address, link.name])).toEqual([
      ['127.0.0.2:5001', 'wwan0'],
      ['127.0.0.3:5002', 'wifi?"fake" line'],
    ]);
  });

  it('a legacy sender (no trailer, or an empty name) leaves the link known by its address', () => {
    const receiver = registered([A, B]);
    receiver.handleDatagram(10, A, new Uint8Array([0x90, 0x00]));
    receiver.handleDatagram(10, B, bondKeepalive('   '));
    expect(events(receiver).filter((e) => e.type === 'link-named')).toEqual([]);
    const links = receiver.stats(10).groups[0]?.links ?? [];
    expect(links.map((link) => link.name)).toEqual([undefined, undefined]);
  });
});
