import { createEndpoint, createReceiveBatch, IoArgumentError } from '@bond/io';
import { describe, expect, it } from 'vitest';

describe('createEndpoint', () => {
  it('parses IPv4 into one big-endian word', () => {
    const endpoint = createEndpoint('127.0.0.2', 5000);
    expect({
      ip: endpoint.ip,
      port: endpoint.port,
      family: endpoint.family,
      words: endpoint.words,
    }).toEqual({
      ip: '127.0.0.2',
      port: 5000,
      family: 4,
      words: [0x7f000002, 0, 0, 0],
    });
  });

  it('parses IPv6 forms and prints them canonically', () => {
    expect(createEndpoint('::1', 1).words).toEqual([0, 0, 0, 1]);
    expect(createEndpoint('2001:DB8:0:0:1:0:0:1', 1).ip).toBe('2001:db8::1:0:0:1');
    expect(createEndpoint('fe80::', 1).words).toEqual([0xfe800000, 0, 0, 0]);
    expect(createEndpoint('::', 1).ip).toBe('::');
    expect(createEndpoint('1:2:3:4:5:6:7:8', 1).ip).toBe('1:2:3:4:5:6:7:8');
  });

  it('treats an IPv4-mapped IPv6 address as the IPv4 endpoint', () => {
    const mapped = createEndpoint('::ffff:10.1.2.3', 9);
    expect(mapped.family).toBe(4);
    expect(mapped.equals(createEndpoint('10.1.2.3', 9))).toBe(true);
  });

  it('rejects host names, zone ids and bad ports', () => {
    expect(() => createEndpoint('localhost', 1)).toThrow(IoArgumentError);
    expect(() => createEndpoint('fe80::1%lo', 1)).toThrow(IoArgumentError);
    expect(() => createEndpoint('1.2.3.4', 65536)).toThrow(IoArgumentError);
    expect(() => createEndpoint('1.2.3.4', 1.5)).toThrow(IoArgumentError);
  });
});

describe('ReceiveBatch', () => {
  it('sizes its slab and table from maxBatch and slotSize', () => {
    const batch = createReceiveBatch({ maxBatch: 4, slotSize: 100 });
    expect(batch.slab.length).toBe(400);
    expect(batch.meta.length).toBe(32);
  });

  it('rejects sizes outside the limits', () => {
    expect(() => createReceiveBatch({ maxBatch: 0 })).toThrow(IoArgumentError);
    expect(() => createReceiveBatch({ maxBatch: 1025 })).toThrow(IoArgumentError);
    expect(() => createReceiveBatch({ slotSize: 70000 })).toThrow(IoArgumentError);
  });
});
