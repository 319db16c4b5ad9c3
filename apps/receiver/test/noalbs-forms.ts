// Field-by-field checks of the stats forms NOALBS parses, with the types its Rust structs declare
// (NOALBS src/stream_servers/openirl.rs, sls.rs, belabox.rs): serde refuses a fraction, a negative
// number or null for an integer field, and a missing required field fails the whole entry.
import { expect } from 'vitest';

const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
const I32_MAX = 0x7fffffff;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expectInteger(value: unknown, field: string, max = Number.MAX_SAFE_INTEGER): void {
  expect(Number.isInteger(value), `${field} = ${String(value)} is an integer`).toBe(true);
  expect(value as number, `${field} >= 0`).toBeGreaterThanOrEqual(0);
  expect(value as number, `${field} <= ${max}`).toBeLessThanOrEqual(max);
}

function expectFloat(value: unknown, field: string): void {
  expect(typeof value, `${field} is a number`).toBe('number');
  expect(Number.isFinite(value), `${field} is finite`).toBe(true);
}

/** OpenIRL's `publisher` (NOALBS `openirl::Stat`, `Peer`); returns it for further checks. */
export function expectOpenIrlPublisher(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw new Error(`not an object: ${JSON.stringify(body)}`);
  expect(body.status).toBe('ok');
  const publisher = body.publisher;
  if (!isObject(publisher)) throw new Error(`no publisher: ${JSON.stringify(body)}`);
  expectInteger(publisher.bitrate, 'bitrate', U32_MAX);
  expectInteger(publisher.buffer, 'buffer', U32_MAX);
  expectInteger(publisher.dropped_pkts, 'dropped_pkts');
  expectInteger(publisher.uptime, 'uptime');
  // Option<u16>: an integer up to 65535, or null.
  if (publisher.latency !== null) expectInteger(publisher.latency, 'latency', U16_MAX);
  if (publisher.rtt !== undefined) expectFloat(publisher.rtt, 'rtt');
  expect(Array.isArray(publisher.peers), 'peers is an array').toBe(true);
  for (const [index, peer] of (publisher.peers as unknown[]).entries()) {
    if (!isObject(peer)) throw new Error(`peer ${index} is not an object`);
    expectInteger(peer.bitrate, `peers[${index}].bitrate`, U32_MAX);
    expectFloat(peer.rtt, `peers[${index}].rtt`);
  }
  return publisher;
}

/** The OpenIRL answer without a live publisher: status ok, a message, no `publisher` key. */
export function expectOpenIrlOffline(body: unknown): void {
  if (!isObject(body)) throw new Error(`not an object: ${JSON.stringify(body)}`);
  expect(body.status).toBe('ok');
  expect(typeof body.message).toBe('string');
  expect('publisher' in body).toBe(false);
}

/**
 * The SLS entry `publishers[name]` (NOALBS `sls::Stat`, camelCase, all ten fields required) that
 * also parses as `belabox::Stat` (bitrate i64, rtt f64, dropped_pkts i32); returns it.
 */
export function expectSlsPublisher(body: unknown, name: string): Record<string, unknown> {
  if (!isObject(body)) throw new Error(`not an object: ${JSON.stringify(body)}`);
  expect(body.status).toBe('ok');
  const publishers = body.publishers;
  if (!isObject(publishers)) throw new Error(`no publishers: ${JSON.stringify(body)}`);
  const entry = publishers[name];
  if (!isObject(entry)) throw new Error(`no publisher ${name}: ${JSON.stringify(body)}`);
  expectInteger(entry.bitrate, 'bitrate');
  expectInteger(entry.bytesRcvDrop, 'bytesRcvDrop');
  expectInteger(entry.bytesRcvLoss, 'bytesRcvLoss');
  expectFloat(entry.mbpsBandwidth, 'mbpsBandwidth');
  expectFloat(entry.mbpsRecvRate, 'mbpsRecvRate');
  expectInteger(entry.msRcvBuf, 'msRcvBuf', I32_MAX);
  expectInteger(entry.pktRcvDrop, 'pktRcvDrop', I32_MAX);
  expectInteger(entry.pktRcvLoss, 'pktRcvLoss', I32_MAX);
  expectFloat(entry.rtt, 'rtt');
  expectInteger(entry.uptime, 'uptime');
  expectInteger(entry.dropped_pkts, 'dropped_pkts', I32_MAX);
  return entry;
}

/** The SLS answer without that publisher: status ok, `publishers` without the name. */
export function expectSlsOffline(body: unknown, name: string): void {
  if (!isObject(body)) throw new Error(`not an object: ${JSON.stringify(body)}`);
  expect(body.status).toBe('ok');
  if (!isObject(body.publishers)) throw new Error(`no publishers: ${JSON.stringify(body)}`);
  expect(name in body.publishers).toBe(false);
}
