// Option and scenario-file checking: every mistake names the field and says what it must be.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createLinkEmulator,
  LinkemBindError,
  LinkemConfigError,
  LinkemScenarioFileError,
  loadScenario,
  parseTrace,
  type EmulatorOptions,
} from '../src/index.js';
import { closeAll, openPeer, track } from './udp-harness.js';
import { traceFile } from '../../../packages/core/test/traces.js';

const dirs: string[] = [];
afterEach(async () => {
  await closeAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scenarioFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'linkem-'));
  dirs.push(dir);
  const file = join(dir, 'scenario.json');
  writeFileSync(file, content);
  return file;
}

const target = { address: '127.0.0.1', port: 9 };

describe('linkem options', () => {
  it.each([
    [
      { links: [{ name: 'a', target, up: { lossRate: 1.5 } }] },
      'links[0].up.lossRate',
      /probability/,
    ],
    [{ links: [{ name: 'a', target, down: { los: 0.1 } }] }, 'links[0].down.los', /unknown field/],
    [
      { links: [{ name: 'a', target: { address: '127.0.0.1', port: 70000 } }] },
      'links[0].target.port',
      /port/,
    ],
    [
      {
        links: [
          { name: 'a', target },
          { name: 'a', target },
        ],
      },
      'links[1].name',
      /unique/,
    ],
    [
      { links: [{ name: 'a', target, up: { rateBps: 1e6, trace: [1, 2] } }] },
      'links[0].up.trace',
      /either/,
    ],
    [
      { links: [{ name: 'a', target, outages: [[50, 10]] }] },
      'links[0].outages[0][1]',
      />= the start/,
    ],
    [
      { links: [{ name: 'a', target, up: { trace: [5, 3] } }] },
      'links[0].up.trace',
      /non-decreasing/,
    ],
    [{ links: [] }, 'links', /non-empty/],
  ])('rejects %j at %s', async (options, path, problem) => {
    const attempt = createLinkEmulator(options as unknown as EmulatorOptions);
    await expect(attempt).rejects.toBeInstanceOf(LinkemConfigError);
    await expect(attempt).rejects.toMatchObject({ code: 'BOND_ERR_LINKEM_CONFIG', path });
    await expect(attempt).rejects.toThrow(problem);
  });

  it('reports a listen port in use as a bind error', async () => {
    const busy = await openPeer();
    const attempt = createLinkEmulator({
      links: [{ name: 'a', listen: { address: '127.0.0.1', port: busy.port }, target }],
    });
    await expect(attempt).rejects.toBeInstanceOf(LinkemBindError);
    await expect(attempt).rejects.toMatchObject({ code: 'BOND_ERR_LINKEM_BIND' });
    await expect(attempt).rejects.toThrow(/link "a".*listen socket/);
  });

  it('parses trace text and rejects a non-number line with its line number', () => {
    expect(parseTrace('1\n1\n3\n').offsets.length).toBe(3);
    expect(() => parseTrace('1\nx\n')).toThrow(/line 2 is "x"/);
  });

  it('accepts the link handle API on a running emulator', async () => {
    const emulator = track(await createLinkEmulator({ links: [{ name: 'a', target }] }));
    expect(() => emulator.link('b')).toThrow(/no such link; links: a/);
    expect(() => {
      emulator.link('a').outage(-1);
    }).toThrow(LinkemConfigError);
  });
});

describe('linkem scenario files', () => {
  it('loads a scenario with a trace path relative to the file', () => {
    const file = scenarioFile('{}');
    const relativeTrace = relative(dirname(file), traceFile('Verizon-LTE-short.up'));
    writeFileSync(
      file,
      JSON.stringify({ duration: 2, links: [{ name: 'a', target, up: { trace: relativeTrace } }] }),
    );
    const scenario = loadScenario(file);
    expect(scenario.durationMs).toBe(2000);
    expect(scenario.options.links[0]?.up.trace?.offsets.length).toBe(69367);
    writeFileSync(
      file,
      JSON.stringify({ links: [{ name: 'a', target, up: { trace: 'nope.up' } }] }),
    );
    expect(() => loadScenario(file)).toThrow(
      /links\[0\]\.up\.trace: trace .*nope\.up: could not be read/,
    );
  });

  it('names the file and the JSON problem', () => {
    const file = scenarioFile('{ "links": [ }');
    expect(() => loadScenario(file)).toThrow(LinkemScenarioFileError);
    expect(() => loadScenario(file)).toThrow(/scenario\.json: is not valid JSON/);
    expect(() => loadScenario(join(tmpdir(), 'no-such-linkem-scenario.json'))).toThrow(
      /could not be read/,
    );
  });

  it('names the bad field and the file', () => {
    const file = scenarioFile(JSON.stringify({ duration: -1, links: [{ name: 'a', target }] }));
    expect(() => loadScenario(file)).toThrow(
      /^duration: must be a number of seconds > 0.*\(in .*scenario\.json\)$/,
    );
  });
});
