// `--http ADDR:PORT`: the forms both apps accept, and refusals that say what was wrong.
import { describe, expect, it } from 'vitest';
import { HttpAddressError, isLoopbackHost, parseHttpAddress } from '../src/index.js';

describe('parseHttpAddress', () => {
  it.each([
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    [' 127.0.0.1:8080 ', { host: '127.0.0.1', port: 8080 }],
    ['[::1]:9000', { host: '::1', port: 9000 }],
    ['[2001:db8::7]:80', { host: '2001:db8::7', port: 80 }],
    [':9000', { host: '::', port: 9000 }],
    ['8080', { host: '127.0.0.1', port: 8080 }],
    [' 9000 ', { host: '127.0.0.1', port: 9000 }],
    ['localhost:8080', { host: 'localhost', port: 8080 }],
    ['stats.example-host.net:65535', { host: 'stats.example-host.net', port: 65535 }],
  ])('reads %j', (raw, expected) => {
    expect(parseHttpAddress(raw)).toEqual(expected);
  });

  it.each([
    [
      'localhost',
      /http must be PORT \(this machine only\), ADDR:PORT, \[IPV6\]:PORT or :PORT \(every address\), for example 8080 or 127\.0\.0\.1:8080, got "localhost"/,
    ],
    ['0', /http port must be 1\.\.65535, got "0"/],
    ['70000', /http port must be 1\.\.65535/],
    ['::1:8080', /http must be PORT \(this machine only\), ADDR:PORT, \[IPV6\]:PORT/],
    ['127.0.0.1:http', /http must be PORT/],
    ['127.0.0.1:0', /http port must be 1\.\.65535, got "0" in "127\.0\.0\.1:0"/],
    ['127.0.0.1:70000', /http port must be 1\.\.65535, got "70000"/],
    ['[127.0.0.1]:80', /"\[127\.0\.0\.1\]" is not an IPv6 address \(brackets are for IPv6 only\)/],
    ['[]:80', /"\[\]" is not an IPv6 address/],
    ['bad host!:80', /"bad host!" is neither an IP address nor a host name/],
    ['-lead.example:80', /is neither an IP address nor a host name/],
  ])('refuses %j', (raw, message) => {
    let caught: unknown;
    try {
      parseHttpAddress(raw);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HttpAddressError);
    expect((caught as HttpAddressError).code).toBe('BOND_ERR_HTTP_ADDRESS');
    expect((caught as HttpAddressError).message).toMatch(message);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.5', false],
    ['stats.example', false],
  ])('isLoopbackHost(%j) is %j', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  it('names the setting it parses for', () => {
    expect(() => parseHttpAddress('nope', 'metrics-http')).toThrow(/^metrics-http must be/);
  });
});
