// The settings both apps take for the runtime: their values, messages, and which reload.
import { describe, expect, it } from 'vitest';
import {
  RUNTIME_SETTINGS,
  applySetting,
  type RuntimeSettings,
  type SettingsDraft,
} from '../src/index.js';

describe('RUNTIME_SETTINGS', () => {
  it('reads the log level, log format and IO backend', () => {
    const draft: SettingsDraft<RuntimeSettings> = {};
    applySetting(RUNTIME_SETTINGS, 'log-level', ' debug ', draft);
    applySetting(RUNTIME_SETTINGS, 'log-format', 'json', draft);
    applySetting(RUNTIME_SETTINGS, 'io-backend', 'dgram', draft);
    expect(draft).toEqual({ logLevel: 'debug', logFormat: 'json', ioBackend: 'dgram' });
  });

  it.each([
    ['log-level', 'loud', 'log-level must be one of debug, info, warn, error, silent, got "loud"'],
    ['log-format', 'xml', 'log-format must be one of json, text, auto, got "xml"'],
    ['io-backend', 'fast', 'io-backend must be one of auto, native, dgram, got "fast"'],
  ])('refuses %s %j', (name, raw, message) => {
    expect(() => {
      applySetting(RUNTIME_SETTINGS, name, raw, {});
    }).toThrow(message);
  });

  it('reloads the logger settings; the IO backend needs a restart', () => {
    expect(RUNTIME_SETTINGS['log-level']?.reloadable).toBe(true);
    expect(RUNTIME_SETTINGS['log-format']?.reloadable).toBe(true);
    expect(RUNTIME_SETTINGS['io-backend']?.reloadable).toBeUndefined();
  });
});
