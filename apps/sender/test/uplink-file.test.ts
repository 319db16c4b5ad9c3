// The uplink list: srtla_send's one-address-per-line format, bond's name/priority/kind fields,
// comments, IPv6, invalid lines reported with their position, and refusal of a list with no
// valid address.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  UplinkFileError,
  formatUplinkProblem,
  loadUplinkFile,
  parseUplinkText,
  requireUplinks,
} from '../src/index.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('parseUplinkText', () => {
  it('reads srtla_send files: one address per line', () => {
    const list = parseUplinkText('ips', '192.168.1.10\n10.0.0.2\n');
    expect(list.uplinks.map((uplink) => uplink.address)).toEqual(['192.168.1.10', '10.0.0.2']);
    expect(list.uplinks[0]).toEqual({
      address: '192.168.1.10',
      name: undefined,
      priority: undefined,
      kind: undefined,
      line: 1,
    });
    expect(list.problems).toEqual([]);
  });

  it('skips comments and blank lines, reads names, priorities, kinds and IPv6', () => {
    const text = [
      '# uplinks of the van',
      '',
      '   192.168.1.10   # the router',
      '10.0.0.2 name=wwan0 priority=50 kind=cellular',
      '2001:db8::7 name=starlink kind=other',
      '[::1] priority=0',
      '\t',
    ].join('\r\n');
    const list = parseUplinkText('ips', text);
    expect(list.problems).toEqual([]);
    expect(list.uplinks).toEqual([
      { address: '192.168.1.10', name: undefined, priority: undefined, kind: undefined, line: 3 },
      { address: '10.0.0.2', name: 'wwan0', priority: 50, kind: 'cellular', line: 4 },
      { address: '2001:db8::7', name: 'starlink', priority: undefined, kind: 'other', line: 5 },
      { address: '::1', name: undefined, priority: 0, kind: undefined, line: 6 },
    ]);
  });

  it('reports invalid lines with their position and keeps the valid ones', () => {
    const text = [
      'wwan0', // 1
      '10.0.0.2 priority=abc', // 2
      '10.0.0.3', // 3
      '10.0.0.4 kind=satellite', // 4
      '10.0.0.5 colour=red', // 5
      '10.0.0.3 name=again', // 6
      '10.0.0.6 name=', // 7
      '300.1.1.1', // 8
    ].join('\n');
    const list = parseUplinkText('/etc/bond/ips', text);
    expect(list.uplinks.map((uplink) => uplink.address)).toEqual(['10.0.0.3']);
    expect(list.problems.map((problem) => problem.line)).toEqual([1, 2, 4, 5, 6, 7, 8]);
    const messages = list.problems.map((problem) => formatUplinkProblem(list.path, problem));
    expect(messages[0]).toBe('/etc/bond/ips:1: "wwan0" is not an IPv4 or IPv6 address ("wwan0")');
    expect(messages[1]).toMatch(/^\/etc\/bond\/ips:2: priority must be a percentage/);
    expect(messages[2]).toMatch(/:4: kind must be one of unspecified, cellular/);
    expect(messages[3]).toMatch(/:5: unknown field "colour"/);
    expect(messages[4]).toMatch(/:6: 10\.0\.0\.3 is already listed on line 3/);
    expect(messages[5]).toMatch(/:7: "name=" must be name=/);
  });

  it('refuses a list whose every line is invalid, naming each line', () => {
    const list = parseUplinkText('ips', 'garbage\n# only a comment\nmore garbage here\n');
    expect(() => requireUplinks(list)).toThrow(UplinkFileError);
    expect(() => requireUplinks(list)).toThrow(
      /uplink file ips: no valid uplink address in it; every line was invalid: ips:1: .*ips:3: /,
    );
  });

  it('refuses an empty list', () => {
    const list = parseUplinkText('ips', '\n# nothing yet\n');
    let caught: unknown;
    try {
      requireUplinks(list);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UplinkFileError);
    expect((caught as UplinkFileError).code).toBe('BOND_ERR_UPLINK_FILE');
    expect((caught as UplinkFileError).message).toMatch(/no uplink address in it/);
  });
});

describe('loadUplinkFile', () => {
  it('reads a file, and refuses a missing one with its path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bond-sender-uplinks-'));
    dirs.push(dir);
    const path = join(dir, 'ips');
    await writeFile(path, '127.0.0.2 name=a\n');
    expect((await loadUplinkFile(path)).uplinks.map((uplink) => uplink.name)).toEqual(['a']);
    await expect(loadUplinkFile(join(dir, 'missing'))).rejects.toThrow(
      /uplink file .*missing: cannot read it/,
    );
  });
});
