// The config file over a settings table: option names as keys, JSON numbers, arrays only for
// repeatable settings, and a file refused whole with a message naming it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError, loadConfigFile, parseConfigText } from '../src/index.js';
import { DEMO_SETTINGS } from './settings-fixture.js';

describe('parseConfigText', () => {
  it('reads settings by option name, numbers as text, arrays for repeatable ones', () => {
    const file = parseConfigText(
      DEMO_SETTINGS,
      'demo.json',
      JSON.stringify({ host: 'h', port: 5000, tag: ['a', 'b'], level: 'high' }),
    );
    expect(file.settings).toEqual({ host: 'h', port: 5000, tags: ['a', 'b'], level: 'high' });
    expect(file.names).toEqual(['host', 'port', 'tag', 'level']);
  });

  it('takes one value for a repeatable setting too', () => {
    expect(parseConfigText(DEMO_SETTINGS, 'd', '{"tag": "a"}').settings).toEqual({ tags: ['a'] });
  });

  it.each([
    ['{ not json', /^config file bad\.json: not valid JSON \(/],
    ['[1, 2]', /^config file bad\.json: must hold one JSON object of settings$/],
    ['"text"', /must hold one JSON object of settings/],
    ['{"prot": 1}', /^config file bad\.json: unknown setting "prot" \(known: port, host/],
    ['{"port": "high"}', /^config file bad\.json: port must be a UDP port number/],
    ['{"port": true}', /^config file bad\.json: "port" must be a string or a number$/],
    ['{"port": [5000]}', /^config file bad\.json: "port" must be a string or a number$/],
    ['{"tag": [1, null]}', /"tag" must be a string or a number \(or an array of strings\)$/],
    ['{"host": "h", "level": "mid"}', /level must be one of low, high/],
  ])('refuses %s whole', (text, message) => {
    let caught: unknown;
    try {
      parseConfigText(DEMO_SETTINGS, 'bad.json', text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigFileError);
    expect((caught as ConfigFileError).code).toBe('BOND_ERR_CONFIG_FILE');
    expect((caught as ConfigFileError).path).toBe('bad.json');
    expect((caught as ConfigFileError).message).toMatch(message);
  });
});

describe('loadConfigFile', () => {
  it('reads a file, and says when it cannot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bond-config-file-'));
    try {
      const path = join(dir, 'demo.json');
      await writeFile(path, '{"port": 7}');
      expect((await loadConfigFile(DEMO_SETTINGS, path)).settings).toEqual({ port: 7 });
      const missing = join(dir, 'missing.json');
      await expect(loadConfigFile(DEMO_SETTINGS, missing)).rejects.toThrow(
        new RegExp(`^config file ${missing}: cannot read it \\(ENOENT`),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
