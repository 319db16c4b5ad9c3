// A small settings table for the framework's tests: two required fields, a repeatable one, a
// reloadable one, and defaults for the rest.
import {
  SettingError,
  parseOneOf,
  parsePort,
  resolveSettings,
  type SettingsDraft,
  type SettingsTable,
} from '../src/index.js';

export interface DemoSettings {
  readonly port: number;
  readonly host: string;
  readonly tags: readonly string[];
  readonly level: 'low' | 'high';
  readonly bind: string;
  /** Set by the app, not by a source (as a config file's path). */
  readonly note: string | undefined;
}

export const DEMO_DEFAULTS = {
  tags: [],
  level: 'low',
  bind: '127.0.0.1',
  note: undefined,
} as const satisfies Omit<DemoSettings, 'port' | 'host'>;

export const DEMO_SETTINGS: SettingsTable<DemoSettings> = {
  port: { field: 'port', value: 'PORT', help: 'the port', parse: (raw) => parsePort('port', raw) },
  host: {
    field: 'host',
    value: 'HOST',
    help: 'the host',
    parse: (raw) => {
      if (raw.trim() === '') throw new SettingError('host must not be empty');
      return raw.trim();
    },
  },
  tag: {
    field: 'tags',
    value: 'TAG',
    help: 'a tag (repeatable)',
    multiple: true,
    parse: (raw, previous) => [...(previous ?? []), raw],
  },
  level: {
    field: 'level',
    value: 'LEVEL',
    help: 'low or high',
    reloadable: true,
    parse: (raw) => parseOneOf('level', raw, ['low', 'high']),
  },
  bind: { field: 'bind', value: 'ADDR', help: 'where to bind', parse: (raw) => raw },
};

export function resolveDemo(...sources: SettingsDraft<DemoSettings>[]): DemoSettings {
  return resolveSettings(
    {
      defaults: DEMO_DEFAULTS,
      required: { port: 'port (--port)', host: 'host (--host)' },
      hint: 'run demo PORT HOST (see --help)',
    },
    sources,
  );
}
