// `--cluster`, `--node-id`, `--backplane`, `--cluster-key-file`: each parsed by the settings table
// (command line and config file alike), then checked together with the key file read from disk.
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  UsageError,
  helpText,
  parseCommandLine,
  parseConfigText,
  resolveClusterConfig,
  resolveSettings,
  type Command,
} from '../src/index.js';

function settingsOf(command: Command) {
  if (command.kind !== 'run' && command.kind !== 'doctor') throw new Error(`got ${command.kind}`);
  return resolveSettings(command.settings);
}

function usageError(argv: string[]): string {
  try {
    parseCommandLine(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

const posix = process.platform !== 'win32';

/** The message `promise` rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<string> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => (error instanceof Error ? error.message : 'not an Error'),
  );
  if (outcome === undefined) throw new Error('resolved, expected a rejection');
  return outcome;
}

describe('cluster settings on the command line', () => {
  it('reads the four options into the settings', () => {
    const settings = settingsOf(
      parseCommandLine([
        '--cluster',
        'redis://:s3cret@10.0.0.2:6379/1',
        '--node-id',
        'rx-fra-1',
        '--backplane',
        '10.0.0.5:7000',
        '--cluster-key-file',
        '/etc/bond/cluster.key',
      ]),
    );
    expect(settings).toMatchObject({
      cluster: 'redis://:s3cret@10.0.0.2:6379/1',
      nodeId: 'rx-fra-1',
      backplane: { host: '10.0.0.5', port: 7000 },
      clusterKeyFile: '/etc/bond/cluster.key',
    });
    expect(settingsOf(parseCommandLine(['--backplane', '[fd00::5]:7000'])).backplane).toEqual({
      host: 'fd00::5',
      port: 7000,
    });
  });

  it('leaves them off by default', () => {
    expect(settingsOf(parseCommandLine([]))).toMatchObject({
      cluster: undefined,
      nodeId: undefined,
      backplane: undefined,
      clusterKeyFile: undefined,
    });
  });

  it('refuses a bad Redis URL, never showing its password', () => {
    expect(usageError(['--cluster', 'http://:hunter2@10.0.0.2:6379'])).toMatch(
      /cluster must start with redis:\/\/ .*got "http:\/\/:\*\*\*@10\.0\.0\.2:6379/,
    );
    const unparsable = usageError(['--cluster', 'redis//:hunter2@10.0.0.2:6379']);
    expect(unparsable).toMatch(/cluster must be a Redis URL such as redis:\/\/10.0.0.2:6379/);
    expect(unparsable).toContain('***@10.0.0.2:6379');
    expect(usageError(['--cluster', 'redis://:hunter2@10.0.0.2:6379/x'])).toMatch(
      /path may only be a database number/,
    );
    for (const argv of [
      ['--cluster', 'http://:hunter2@10.0.0.2:6379'],
      ['--cluster', 'redis//:hunter2@10.0.0.2:6379'],
      ['--cluster', 'redis://:hunter2@10.0.0.2:6379/x'],
      ['--cluster', 'redis://user:hunter2@:6379'],
    ]) {
      expect(usageError(argv)).not.toContain('hunter2');
    }
  });

  it('refuses a backplane that is no address the other nodes can reach', () => {
    expect(usageError(['--backplane', '0.0.0.0:7000'])).toMatch(/0\.0\.0\.0 is a wildcard/);
    expect(usageError(['--backplane', '[::]:7000'])).toMatch(/:: is a wildcard/);
    expect(usageError(['--backplane', 'rx1.example:7000'])).toMatch(
      /"rx1\.example" is not an IP address/,
    );
    expect(usageError(['--backplane', '10.0.0.5'])).toMatch(/backplane must be ADDR:PORT/);
    expect(usageError(['--backplane', '10.0.0.5:0'])).toMatch(/port must be 1\.\.65535/);
    expect(usageError(['--backplane', '10.0.0.5:70000'])).toMatch(/port must be 1\.\.65535/);
    expect(usageError(['--backplane', '[10.0.0.5]:7000'])).toMatch(/not an IP address/);
  });

  it('refuses a node id with characters it does not take', () => {
    expect(usageError(['--node-id', 'rx fra'])).toMatch(/node-id must be 1-64 characters/);
    expect(usageError(['--node-id', 'x'.repeat(65)])).toMatch(/node-id must be 1-64/);
  });

  it('documents each option in --help', () => {
    const help = helpText();
    expect(help).toMatch(/--cluster redis:\/\/HOST:PORT/);
    expect(help).toMatch(/--node-id ID/);
    expect(help).toMatch(/--backplane ADDR:PORT/);
    expect(help).toMatch(/--cluster-key-file PATH/);
    expect(help).toContain('head -c 32 /dev/urandom > cluster.key');
  });

  it('takes them from the config file too, with the same checks', () => {
    const { settings } = parseConfigText(
      'rx.json',
      JSON.stringify({
        cluster: 'redis://10.0.0.2:6379',
        backplane: '10.0.0.5:7000',
        'cluster-key-file': 'cluster.key',
      }),
    );
    expect(settings).toMatchObject({
      cluster: 'redis://10.0.0.2:6379',
      backplane: { host: '10.0.0.5', port: 7000 },
      clusterKeyFile: 'cluster.key',
    });
    expect(() => parseConfigText('rx.json', JSON.stringify({ backplane: '0.0.0.0:7000' }))).toThrow(
      /wildcard/,
    );
  });
});

describe('resolveClusterConfig', () => {
  let dir: string;
  const warnings: string[] = [];
  const deps = { warn: (message: string) => warnings.push(message), hostname: () => 'rx host' };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bond-cluster-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function keyFile(name: string, bytes: Uint8Array, mode = 0o600): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, bytes);
    await chmod(path, mode);
    return path;
  }

  function settings(argv: string[]) {
    return settingsOf(parseCommandLine(argv));
  }

  const random32 = Uint8Array.from({ length: 32 }, (_, i) => (i * 73 + 11) % 256);

  it('is undefined without --cluster', async () => {
    expect(await resolveClusterConfig(settings([]), deps)).toBeUndefined();
  });

  it('resolves a full cluster config, the key file being the key', async () => {
    warnings.length = 0;
    const path = await keyFile('k32', random32);
    const config = await resolveClusterConfig(
      settings([
        '--cluster',
        'redis://:s3cret@10.0.0.2:6379',
        '--node-id',
        'rx-a',
        '--backplane',
        '[fd00::5]:7000',
        '--cluster-key-file',
        path,
      ]),
      deps,
    );
    expect(config).toMatchObject({
      url: 'redis://:s3cret@10.0.0.2:6379',
      redis: 'redis://:***@10.0.0.2:6379',
      nodeId: 'rx-a',
      backplane: { host: 'fd00::5', port: 7000 },
      backplaneText: '[fd00::5]:7000',
      clusterKeyFile: path,
    });
    expect(Buffer.from(config?.clusterKey ?? []).equals(random32)).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('hashes a longer key file (hex text) to 32 bytes, and names the node after the host', async () => {
    const text = Buffer.from(`${Buffer.from(random32).toString('hex')}\n`);
    const path = await keyFile('khex', text);
    const config = await resolveClusterConfig(
      settings([
        '--cluster',
        'redis://10.0.0.2',
        '--backplane',
        '10.0.0.5:7000',
        '--cluster-key-file',
        path,
      ]),
      deps,
    );
    expect(config?.clusterKey).toHaveLength(32);
    expect(
      Buffer.from(config?.clusterKey ?? []).equals(createHash('sha256').update(text).digest()),
    ).toBe(true);
    expect(config?.nodeId).toBe('rx-host');
  });

  it('refuses cluster options without --cluster', async () => {
    await expect(
      resolveClusterConfig(settings(['--backplane', '10.0.0.5:7000', '--node-id', 'a']), deps),
    ).rejects.toThrow(
      '--node-id, --backplane take effect with --cluster redis://HOST:PORT only: add --cluster, or remove them',
    );
  });

  it('asks for --backplane and --cluster-key-file, redacting the password', async () => {
    const noBackplane = await rejection(
      resolveClusterConfig(
        settings(['--cluster', 'redis://:hunter2@10.0.0.2:6379', '--cluster-key-file', 'k']),
        deps,
      ),
    );
    expect(noBackplane).toMatch(/needs --backplane ADDR:PORT/);
    expect(noBackplane).toContain('redis://:***@10.0.0.2:6379');
    expect(noBackplane).not.toContain('hunter2');
    const noKey = await rejection(
      resolveClusterConfig(
        settings(['--cluster', 'redis://:hunter2@10.0.0.2:6379', '--backplane', '10.0.0.5:7000']),
        deps,
      ),
    );
    expect(noKey).toMatch(
      /needs --cluster-key-file PATH.*head -c 32 \/dev\/urandom > cluster\.key/,
    );
    expect(noKey).not.toContain('hunter2');
  });

  function withKey(path: string) {
    return settings([
      '--cluster',
      'redis://10.0.0.2:6379',
      '--backplane',
      '10.0.0.5:7000',
      '--cluster-key-file',
      path,
    ]);
  }

  it('says how to create a key file that is missing', async () => {
    await expect(resolveClusterConfig(withKey(join(dir, 'nope.key')), deps)).rejects.toThrow(
      /cluster key file .*nope\.key does not exist: create one with: head -c 32 \/dev\/urandom > cluster\.key/,
    );
  });

  it('refuses a key file that is too short, not random, not a file, or far too big', async () => {
    const short = await keyFile('short', Buffer.from('0123456789'));
    await expect(resolveClusterConfig(withKey(short), deps)).rejects.toThrow(
      /holds 10 bytes; it needs at least 32 bytes of random key material: create one with: head -c 32/,
    );
    const zeros = await keyFile('zeros', new Uint8Array(32));
    await expect(resolveClusterConfig(withKey(zeros), deps)).rejects.toThrow(
      /does not look random \(1 different byte value in 32 bytes\)/,
    );
    const sub = join(dir, 'a-directory');
    await mkdir(sub);
    await expect(resolveClusterConfig(withKey(sub), deps)).rejects.toThrow(/is not a file/);
    const big = await keyFile(
      'big',
      new Uint8Array(70_000).map((_, i) => i % 251),
    );
    await expect(resolveClusterConfig(withKey(big), deps)).rejects.toThrow(
      /is 70000 bytes, not a key file/,
    );
  });

  it.skipIf(!posix)(
    'warns once about a key file other users can read, and still resolves',
    async () => {
      warnings.length = 0;
      const path = await keyFile('k644', random32, 0o644);
      const config = await resolveClusterConfig(withKey(path), deps);
      expect(config?.clusterKey).toHaveLength(32);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/can be read by other users \(mode 644\).*chmod 600/);
    },
  );

  it('names a key file it may not read', async () => {
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    await expect(
      resolveClusterConfig(withKey('/etc/bond/cluster.key'), {
        ...deps,
        stat: () => Promise.resolve({ mode: 0o100600, size: 32, isFile: () => true }),
        readFile: () => Promise.reject(denied),
      }),
    ).rejects.toThrow(
      /cannot read cluster key file \/etc\/bond\/cluster\.key \(permission denied\)/,
    );
  });
});
