// The primary of --workers (workers.ts): how it merges its workers' metrics, and what it refuses.
import { describe, expect, it } from 'vitest';
import { SettingError } from '../src/settings.js';
import { mergeMetrics, start } from '../src/workers.js';

describe('mergeMetrics', () => {
  it('keeps each family header once and labels every sample with its node', () => {
    const worker = (uptime: number, links: number) =>
      [
        '# HELP bond_receiver_uptime_seconds Seconds since the receiver started.',
        '# TYPE bond_receiver_uptime_seconds gauge',
        `bond_receiver_uptime_seconds ${uptime}`,
        '# HELP bond_receiver_groups Groups (senders) held, by state.',
        '# TYPE bond_receiver_groups gauge',
        `bond_receiver_groups{state="active"} ${links}`,
        'bond_receiver_groups{state="pending"} 0',
        '# HELP bond_receiver_group_forwarded_packets_total Datagrams forwarded.',
        '# TYPE bond_receiver_group_forwarded_packets_total counter',
        `bond_receiver_group_forwarded_packets_total{group="1",stream="a} b"} ${uptime * 10}`,
        '',
      ].join('\n');
    const merged = mergeMetrics([
      { node: 1, text: worker(5, 1) },
      { node: 2, text: worker(7, 0) },
    ]);
    expect(merged.split('\n')).toEqual([
      '# HELP bond_receiver_uptime_seconds Seconds since the receiver started.',
      '# TYPE bond_receiver_uptime_seconds gauge',
      'bond_receiver_uptime_seconds{node="1"} 5',
      'bond_receiver_uptime_seconds{node="2"} 7',
      '# HELP bond_receiver_groups Groups (senders) held, by state.',
      '# TYPE bond_receiver_groups gauge',
      'bond_receiver_groups{node="1",state="active"} 1',
      'bond_receiver_groups{node="1",state="pending"} 0',
      'bond_receiver_groups{node="2",state="active"} 0',
      'bond_receiver_groups{node="2",state="pending"} 0',
      '# HELP bond_receiver_group_forwarded_packets_total Datagrams forwarded.',
      '# TYPE bond_receiver_group_forwarded_packets_total counter',
      'bond_receiver_group_forwarded_packets_total{node="1",group="1",stream="a} b"} 50',
      'bond_receiver_group_forwarded_packets_total{node="2",group="1",stream="a} b"} 70',
      '',
    ]);
  });

  it('is empty but well formed without workers', () => {
    expect(mergeMetrics([])).toBe('\n');
  });
});

describe('start with workers', () => {
  it('refuses workers above 1 on port 0 (each would get a port of its own)', async () => {
    const lines: string[] = [];
    const started = start(
      { settings: { workers: 2, srtlaPort: 0 }, configFile: undefined },
      { logOutput: { write: (line: string) => lines.push(line) } },
    );
    await expect(started).rejects.toThrow(SettingError);
    await expect(started).rejects.toThrow(/workers above 1 need a fixed srtla_port/);
  });
});
