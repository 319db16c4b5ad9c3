// The one function that names a stream on every surface: redacted (default), hashed, full. A
// password must never come out of anything but `full`.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_STREAM_LABEL,
  RuntimeOptionError,
  checkStreamLabelMode,
  streamLabel,
} from '../src/index.js';

const SECRETS = ['secretpass', 'xyz-session-77', 'hunter2'];

const REDACTED: readonly [string, string][] = [
  // MediaMTX
  ['publish:live/feed1:user:secretpass', 'live/feed1'],
  ['publish:live/feed1:user:secretpass:q=1', 'live/feed1'],
  ['publish:live/feed1', 'live/feed1'],
  ['read:cam/2:viewer:hunter2', 'cam/2'],
  // SRT access control
  ['#!::r=live/feed1,s=xyz-session-77', 'live/feed1'],
  ['#!::u=ops,r=live/feed1,s=xyz-session-77,m=publish', 'live/feed1'],
  // bare stream keys and key-like path parts
  ['0123456789abcdef0123456789abab12', 'key-…ab12'],
  ['live/0123456789ABCDEF0123', 'live/key-…0123'],
  ['live_123456789_AbCdEfGhIjKlMnOp', 'key-…MnOp'],
  ['app/abcd-efgh-ijkl-mnop-qrst', 'app/key-…qrst'],
  // plain paths stay readable, queries and credentials are cut
  ['live/feed1', 'live/feed1'],
  ['publish/live/my_long_stream_name_2024', 'publish/live/my_long_stream_name_2024'],
  ['live/feed1?passphrase=hunter2', 'live/feed1'],
  ['user:secretpass@live/feed1', 'user'],
];

describe('streamLabel', () => {
  it('is redacted by default', () => {
    expect(DEFAULT_STREAM_LABEL).toBe('redacted');
    expect(streamLabel('publish:live/feed1:user:secretpass')).toBe('live/feed1');
  });

  for (const [id, label] of REDACTED) {
    it(`redacted: ${JSON.stringify(id)} -> ${JSON.stringify(label)}`, () => {
      const shown = streamLabel(id, 'redacted');
      expect(shown).toBe(label);
      for (const secret of SECRETS) expect(shown).not.toContain(secret);
    });
  }

  it('redacted: with nothing readable, shows the hashed form', () => {
    expect(streamLabel('#!::u=ops,s=xyz-session-77', 'redacted')).toBe(
      streamLabel('#!::u=ops,s=xyz-session-77', 'hashed'),
    );
    expect(streamLabel(':secretpass', 'redacted')).toMatch(/^sid-[0-9a-f]{8}$/);
    expect(streamLabel('publish::user:secretpass', 'redacted')).toMatch(/^sid-[0-9a-f]{8}$/);
  });

  it('redacted: cuts long paths and makes control characters printable', () => {
    const long = streamLabel(`live/${'segment/'.repeat(25)}`, 'redacted') ?? '';
    expect(long).toHaveLength(96);
    expect(long.endsWith('…')).toBe(true);
    expect(streamLabel('#!::r=live/feed1\u001b[2J', 'redacted')).toBe('live/feed1?[2J');
  });

  it('hashed: short, stable, and different per stream id; nothing readable', () => {
    const a = streamLabel('publish:live/feed1:user:secretpass', 'hashed');
    expect(a).toMatch(/^sid-[0-9a-f]{8}$/);
    expect(streamLabel('publish:live/feed1:user:secretpass', 'hashed')).toBe(a);
    expect(streamLabel('publish:live/feed1:user:otherpass', 'hashed')).not.toBe(a);
    expect(a).not.toContain('feed1');
  });

  it('full: the id as sent, control characters replaced', () => {
    expect(streamLabel('publish:live/feed1:user:secretpass', 'full')).toBe(
      'publish:live/feed1:user:secretpass',
    );
    expect(streamLabel('live/feed1\nforged line', 'full')).toBe('live/feed1?forged line');
  });

  it('no stream id, or an empty one, is null in every mode', () => {
    for (const mode of ['full', 'redacted', 'hashed'] as const) {
      expect(streamLabel(undefined, mode)).toBeNull();
      expect(streamLabel('  ', mode)).toBeNull();
    }
  });

  it('refuses an unknown mode with the list of modes', () => {
    expect(checkStreamLabelMode('hashed')).toBe('hashed');
    expect(() => checkStreamLabelMode('secret')).toThrow(RuntimeOptionError);
    expect(() => checkStreamLabelMode('secret')).toThrow(/redacted, hashed, full/);
  });
});
