// The settings table: applying a named setting, layering sources over defaults with a message that
// names every missing field, and the reload diff that sorts changes by `reloadable`.
import { describe, expect, it } from 'vitest';
import {
  SettingError,
  applySetting,
  diffSettings,
  isMultiple,
  type SettingsDraft,
  type SettingsTable,
} from '../src/index.js';
import { DEMO_SETTINGS, resolveDemo, type DemoSettings } from './settings-fixture.js';

describe('applySetting', () => {
  it("sets the named setting's field through its parser, appending for repeatable ones", () => {
    const draft: SettingsDraft<DemoSettings> = {};
    applySetting(DEMO_SETTINGS, 'port', '5000', draft);
    applySetting(DEMO_SETTINGS, 'host', ' h ', draft);
    applySetting(DEMO_SETTINGS, 'tag', 'a', draft);
    applySetting(DEMO_SETTINGS, 'tag', 'b', draft);
    expect(draft).toEqual({ port: 5000, host: 'h', tags: ['a', 'b'] });
  });

  it('refuses an unknown name, listing the known ones', () => {
    expect(() => {
      applySetting(DEMO_SETTINGS, 'prot', '1', {});
    }).toThrow(new SettingError('unknown setting "prot" (known: port, host, tag, level, bind)'));
  });

  it("passes on the parser's SettingError and leaves the field unset", () => {
    const draft: SettingsDraft<DemoSettings> = {};
    expect(() => {
      applySetting(DEMO_SETTINGS, 'port', '0', draft);
    }).toThrow(/port must be a UDP port number 1\.\.65535, got "0"/);
    expect(draft).toEqual({});
  });

  it('knows which settings are repeatable', () => {
    expect(isMultiple(DEMO_SETTINGS, 'tag')).toBe(true);
    expect(isMultiple(DEMO_SETTINGS, 'port')).toBe(false);
    expect(isMultiple(DEMO_SETTINGS, 'nope')).toBe(false);
  });

  it("checks each parser's result against its field's type", () => {
    const table: SettingsTable<DemoSettings> = {
      // @ts-expect-error -- `port` is a number; a parser returning text must not compile.
      port: { field: 'port', value: 'PORT', help: '', parse: (raw: string) => raw },
    };
    expect(Object.keys(table)).toEqual(['port']);
  });
});

describe('resolveSettings', () => {
  it('layers sources over the defaults, later wins, undefined values skipped', () => {
    const settings = resolveDemo(
      { port: 1, host: 'file', level: 'high', note: 'file' },
      { host: 'command line', note: undefined },
    );
    expect(settings).toEqual({
      port: 1,
      host: 'command line',
      level: 'high',
      tags: [],
      bind: '127.0.0.1',
      note: 'file',
    });
  });

  it('names every missing required field, in order, and then the hint', () => {
    expect(() => resolveDemo({ level: 'high' })).toThrow(
      new SettingError('missing port (--port), host (--host): run demo PORT HOST (see --help)'),
    );
    expect(() => resolveDemo({ port: 1 })).toThrow(/^missing host \(--host\): run demo/);
  });
});

describe('diffSettings', () => {
  const running = resolveDemo({ port: 1, host: 'a' });

  it('reports changed settings by name: reloadable ones applied, the rest needing a restart', () => {
    const next = resolveDemo({ port: 2, host: 'a', level: 'high', tags: ['x'] });
    expect(diffSettings(DEMO_SETTINGS, running, next)).toEqual({
      applied: ['level'],
      needsRestart: ['port', 'tag'],
    });
  });

  it('compares values, not identity', () => {
    const next = resolveDemo({ port: 1, host: 'a', tags: [] });
    expect(diffSettings(DEMO_SETTINGS, running, next)).toEqual({ applied: [], needsRestart: [] });
  });
});
