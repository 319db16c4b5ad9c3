// The value parsers both apps use: what they accept and the messages for what they refuse.
import { describe, expect, it } from 'vitest';
import { SettingError, parseOneOf, parsePort } from '../src/index.js';

describe('parsePort', () => {
  it.each([
    ['1', 1],
    [' 5000 ', 5000],
    ['65535', 65535],
  ])('reads %j', (raw, port) => {
    expect(parsePort('p', raw)).toBe(port);
  });

  it.each(['0', '65536', '-1', '50.5', '', '0x10', 'port'])('refuses %j', (raw) => {
    expect(() => parsePort('srt_port', raw)).toThrow(
      new SettingError(`srt_port must be a UDP port number 1..65535, got "${raw}"`),
    );
  });
});

describe('parseOneOf', () => {
  it('returns the allowed value and refuses others, listing what is allowed', () => {
    expect(parseOneOf('mode', 'b', ['a', 'b'])).toBe('b');
    expect(() => parseOneOf('mode', 'B', ['a', 'b'])).toThrow(
      new SettingError('mode must be one of a, b, got "B"'),
    );
  });
});
