// Prometheus from snapshots: each render starts from nothing, so totals equal the snapshot's values
// (not their sum over scrapes) and series of things that are gone disappear.
import { describe, expect, it } from 'vitest';
import { createSnapshotMetrics, snakeCase } from '../src/snapshot-metrics.js';

describe('createSnapshotMetrics', () => {
  it('sets totals and gauges from each snapshot alone, dropping series that are gone', async () => {
    const metrics = createSnapshotMetrics('test_', { processMetrics: false });
    const packets = metrics.total('packets_total', 'Packets.', ['link']);
    const rate = metrics.gauge('rate', 'Rate.', ['link']);
    const fill = (links: Record<string, number>) => () => {
      for (const [link, value] of Object.entries(links)) {
        packets.set({ link }, value);
        rate.set({ link }, value / 10);
      }
    };
    const first = await metrics.render(fill({ a: 10, b: 20 }));
    expect(first).toContain('test_packets_total{link="a"} 10');
    expect(first).toContain('test_packets_total{link="b"} 20');
    expect(first).toContain('test_rate{link="b"} 2');
    const second = await metrics.render(fill({ b: 25, c: -3 }));
    expect(second).toContain('test_packets_total{link="b"} 25');
    expect(second).toContain('test_packets_total{link="c"} 0');
    expect(second).toContain('test_rate{link="c"} -0.3');
    expect(second).not.toContain('link="a"');
    expect(second).toContain('# TYPE test_packets_total counter');
    expect(second).toContain('# TYPE test_rate gauge');
    expect(second).not.toContain('process_cpu_user_seconds_total');
    expect(metrics.contentType).toMatch(/^text\/plain/);
  });

  it('serves stats through statsMetrics: each render fills from that stats object alone', async () => {
    const metrics = createSnapshotMetrics('test_', { processMetrics: false });
    const links = metrics.gauge('links', 'Links.', ['state']);
    const served = metrics.statsMetrics((stats: { up: number; down: number }) => {
      links.set({ state: 'up' }, stats.up);
      if (stats.down > 0) links.set({ state: 'down' }, stats.down);
    });
    expect(served.contentType).toBe(metrics.contentType);
    const first = await served.render({ up: 2, down: 1 });
    expect(first).toContain('test_links{state="up"} 2');
    expect(first).toContain('test_links{state="down"} 1');
    const second = await served.render({ up: 3, down: 0 });
    expect(second).toContain('test_links{state="up"} 3');
    expect(second).not.toContain('state="down"');
  });

  it('adds the process metrics by default', async () => {
    const metrics = createSnapshotMetrics('test_');
    metrics.gauge('links', 'Links.');
    const text = await metrics.render(() => undefined);
    expect(text).toContain('process_cpu_user_seconds_total');
    // The process metrics first, then bond's, one blank line apart.
    expect(text).toMatch(/\n\n# HELP test_links Links\.\n# TYPE test_links gauge\ntest_links 0\n$/);
  });

  it('renders each scrape from its own fill when two scrapes overlap (the process metrics are awaited first)', async () => {
    const metrics = createSnapshotMetrics('test_');
    const links = metrics.gauge('links', 'Links.');
    // Both start before either finishes: the second's fill must not leak into the first's text.
    const [first, second] = await Promise.all([
      metrics.render(() => {
        links.set({}, 1);
      }),
      metrics.render(() => {
        links.set({}, 2);
      }),
    ]);
    expect(first).toMatch(/\ntest_links 1\n$/);
    expect(second).toMatch(/\ntest_links 2\n$/);
    const [firstBytes, secondBytes] = await Promise.all([
      metrics.renderBody(() => {
        links.set({}, 3);
      }),
      metrics.renderBody(() => {
        links.set({}, 4);
      }),
    ]);
    expect(Buffer.from(firstBytes).toString()).toMatch(/\ntest_links 3\n$/);
    expect(Buffer.from(secondBytes).toString()).toMatch(/\ntest_links 4\n$/);
  });

  it('writes label sets once for many series, escaped, and keeps one series per label set', async () => {
    const metrics = createSnapshotMetrics('test_', { processMetrics: false });
    const packets = metrics.total('packets_total', 'Packets "seen" \\ here\nand there.', [
      'link',
      'name',
      'event',
    ]);
    const rate = metrics.gauge('rate', 'Rate.', ['link', 'name']);
    const uptime = metrics.gauge('uptime_seconds', 'Uptime.');
    metrics.gauge('idle', 'Never set.');
    const text = await metrics.render(() => {
      const link = metrics.labels({ link: 'a"b', name: 'c\\d\ne' });
      packets.set(link.with({ event: 'gaps' }), 3);
      packets.set(link.with({ event: 'gaps' }), 2);
      packets.set(link.with({ event: 'late' }), -4);
      rate.set(link, 1);
      rate.set(link, Number.NaN);
      rate.set(metrics.labels({ link: 'x', name: undefined }), Number.POSITIVE_INFINITY);
      uptime.set(12.5);
    });
    expect(text).toContain('# HELP test_packets_total Packets "seen" \\\\ here\\nand there.');
    // A total set twice for one label set adds up; a gauge keeps the last value.
    expect(text).toContain('test_packets_total{link="a\\"b",name="c\\\\d\\ne",event="gaps"} 5');
    expect(text).toContain('test_packets_total{link="a\\"b",name="c\\\\d\\ne",event="late"} 0');
    expect(text).toContain('test_rate{link="a\\"b",name="c\\\\d\\ne"} NaN');
    expect(text).toContain('test_rate{link="x"} +Inf');
    expect(text.match(/^test_rate\{/gm)).toHaveLength(2);
    expect(text).toContain('test_uptime_seconds 12.5');
    expect(text).toContain('test_idle 0');
    expect(text.endsWith('\n')).toBe(true);
    // Families apart by one blank line; a label set refuses a name it already has.
    expect(text).toContain('} +Inf\n\n# HELP test_uptime_seconds Uptime.\n');
    expect(() => metrics.labels({ link: 'a' }).with({ link: 'b' })).toThrow(
      /label link is already/,
    );
    expect(() => metrics.labels({ 'bad-name': 'a' })).toThrow(/invalid label name bad-name/);
  });

  it('refuses a label set made with other label names than the metric declares, naming both', async () => {
    const metrics = createSnapshotMetrics('test_', { processMetrics: false });
    const groupBytes = metrics.gauge('group_bytes', 'Bytes.', ['group', 'stream']);
    const linkEvents = metrics.total('link_events_total', 'Events.', ['group', 'link', 'event']);
    const uptime = metrics.gauge('uptime_seconds', 'Uptime.');
    const group = metrics.labels({ group: '1', stream: 's' });
    const link = metrics.labels({ group: '1', link: 'l' });
    // A name more, a name fewer, another name: each refused, naming the metric and both name lists.
    await expect(
      metrics.render(() => {
        groupBytes.set(link, 1);
      }),
    ).rejects.toThrow(
      'metric test_group_bytes declares labels (group, stream) but was given a label set with labels (group, link): {group="1",link="l"}',
    );
    await expect(
      metrics.render(() => {
        linkEvents.set(link, 1);
      }),
    ).rejects.toThrow(
      /test_link_events_total declares labels \(group, link, event\) but was given a label set with labels \(group, link\)/,
    );
    await expect(
      metrics.render(() => {
        groupBytes.set(group.with({ event: 'gaps' }), 1);
      }),
    ).rejects.toThrow(/labels \(group, stream, event\)/);
    await expect(
      metrics.render(() => {
        uptime.set(group, 1);
      }),
    ).rejects.toThrow(
      /test_uptime_seconds declares no labels but was given a label set with labels \(group, stream\)/,
    );
    // The same names in another order, or one given without a value, are the declared names.
    const text = await metrics.render(() => {
      groupBytes.set(metrics.labels({ stream: 's', group: '2' }), 2);
      groupBytes.set(metrics.labels({ group: '3', stream: undefined }), 3);
      linkEvents.set(link.with({ event: 'gaps' }), 4);
      uptime.set(metrics.labels({}), 5);
    });
    expect(text).toContain('test_group_bytes{stream="s",group="2"} 2');
    expect(text).toContain('test_group_bytes{group="3"} 3');
    expect(text).toContain('test_link_events_total{group="1",link="l",event="gaps"} 4');
    expect(text).toContain('test_uptime_seconds 5');
  });

  it('writes exactly the exposition text, byte for byte, across scrapes whose series come and go', async () => {
    const metrics = createSnapshotMetrics('test_', { processMetrics: false });
    const packets = metrics.total('packets_total', 'Packets.', ['link', 'event']);
    const up = metrics.gauge('up', 'Up.');
    // The text as written by hand: one family after the other, a blank line apart, series in the
    // order first set in this scrape.
    const expected = (links: readonly string[], value: number) =>
      '# HELP test_packets_total Packets.\n# TYPE test_packets_total counter\n' +
      links
        .map((link, i) => `test_packets_total{link="${link}",event="gaps"} ${value + i}\n`)
        .join('') +
      `\n# HELP test_up Up.\n# TYPE test_up gauge\ntest_up ${value}\n`;
    const scrape = (links: readonly string[], value: number) =>
      metrics.render(() => {
        for (const [i, link] of links.entries()) {
          packets.set(metrics.labels({ link, event: 'gaps' }), value + i);
        }
        up.set(value);
      });
    // Many series (the text outgrows the writer's first buffer), names beyond ASCII (UTF-8 of
    // 2, 3 and 4 bytes), then fewer, in another order, then the first ones back.
    const many = Array.from({ length: 3000 }, (_, i) => `l${i}-é€😀`);
    const steps: [readonly string[], number][] = [
      [many, 1],
      [['b', 'a'], 0.25],
      [[], 7],
      [many.slice(0, 10), 2],
      [many, 3],
    ];
    for (const [links, value] of steps) {
      const text = await scrape(links, value);
      expect(text).toBe(expected(links, value));
      expect(Buffer.byteLength(text)).toBe(Buffer.byteLength(expected(links, value)));
    }
  });

  it('gives the same text as UTF-8 bytes through renderBody and statsMetrics', async () => {
    const metrics = createSnapshotMetrics('test_', { processMetrics: false });
    const rate = metrics.gauge('rate', 'Rate.', ['link']);
    const fill = (links: readonly string[]) => () => {
      for (const [i, link] of links.entries()) rate.set({ link }, i / 3);
    };
    const links = Array.from({ length: 500 }, (_, i) => `ü-${i}-€`);
    const text = await metrics.render(fill(links));
    const body = await metrics.renderBody(fill(links));
    expect(Buffer.from(body).equals(Buffer.from(text, 'utf8'))).toBe(true);
    expect(new TextDecoder().decode(body)).toContain(
      'test_rate{link="ü-2-€"} 0.6666666666666666\n',
    );
    const served = metrics.statsMetrics((stats: readonly string[]) => {
      fill(stats)();
    });
    const servedBody = await served.renderBody?.(['a', 'b']);
    expect(new TextDecoder().decode(servedBody)).toBe(await served.render(['a', 'b']));
    expect(new TextDecoder().decode(servedBody)).toContain(
      'test_rate{link="b"} 0.3333333333333333\n',
    );
  });

  it('writes a once series as it is set: each sample in order, nothing kept into the next scrape', async () => {
    const metrics = createSnapshotMetrics('test_', { processMetrics: false });
    const kept = metrics.total('kept_total', 'Kept.', ['link']);
    const once = metrics.total('once_total', 'Once.', ['group', 'link'], { once: true });
    metrics.gauge('idle', 'Idle.', [], { once: true });
    const schema = metrics.labelSchema(['group', 'link']);
    const first = await metrics.render(() => {
      once.set(schema.make(['1', 'a "quoted"\nname']), 5);
      once.set({ group: '1', link: 'b' }, -2);
      kept.set({ link: 'a' }, 1);
      kept.set({ link: 'a' }, 2);
    });
    expect(first).toContain(
      '# TYPE test_once_total counter\ntest_once_total{group="1",link="a \\"quoted\\"\\nname"} 5\ntest_once_total{group="1",link="b"} 0\n',
    );
    // A kept series sums what it is given twice in a scrape; a metric without labels writes 0.
    expect(first).toContain('test_kept_total{link="a"} 3\n');
    expect(first).toContain('# TYPE test_idle gauge\ntest_idle 0\n');
    const second = await metrics.render(() => {
      once.set(schema.make(['2', 'c']), 7);
    });
    expect(second).toContain(
      '# TYPE test_once_total counter\ntest_once_total{group="2",link="c"} 7\n',
    );
    expect(second).not.toContain('link="a');
    expect(second).not.toContain('link="b"');
    // The same label set twice in a scrape writes two samples: the caller sees to it that it does not.
    const third = await metrics.render(() => {
      once.set(schema.make(['3', 'd']), 1);
      once.set(schema.make(['3', 'd']), 1);
    });
    expect(third.match(/test_once_total\{group="3",link="d"\} 1\n/g)).toHaveLength(2);
  });

  it('makes label sets from a schema: checked names, values in order, the wrong count refused', async () => {
    const metrics = createSnapshotMetrics('test_', { processMetrics: false });
    expect(() => metrics.labelSchema(['ok', 'not-ok'])).toThrow(/invalid label name not-ok/);
    expect(() => metrics.labelSchema(['a', 'a'])).toThrow(/given twice: a, a/);
    const schema = metrics.labelSchema(['b', 'a']);
    expect(schema.make(['x', 'y']).text).toBe('{b="x",a="y"}');
    expect(() => schema.make(['x'])).toThrow(/1 label values for 2 names \(b, a\)/);
    expect(metrics.labelSchema([]).make([]).text).toBe('');
    // A schema's set fits a metric declaring the same names in any order, and no other.
    const fits = metrics.gauge('fits', 'Fits.', ['a', 'b'], { once: true });
    const other = metrics.gauge('other', 'Other.', ['a'], { once: true });
    const text = await metrics.render(() => {
      fits.set(schema.make(['1', '2']), 3);
    });
    expect(text).toContain('test_fits{b="1",a="2"} 3\n');
    await expect(
      metrics.render(() => {
        other.set(schema.make(['1', '2']), 3);
      }),
    ).rejects.toThrow(
      /metric test_other declares labels \(a\) but was given a label set with labels \(b, a\)/,
    );
  });

  it('refuses metric and label names Prometheus cannot read, and a metric made twice', () => {
    const metrics = createSnapshotMetrics('test_', { processMetrics: false });
    expect(() => metrics.gauge('bad-name', 'Bad.')).toThrow(/invalid metric name: test_bad-name/);
    expect(() => metrics.gauge('ok', 'Ok.', ['bad label'])).toThrow(/invalid label name bad label/);
    metrics.gauge('twice', 'Once.');
    expect(() => metrics.total('twice', 'Twice.')).toThrow(/test_twice is made twice/);
  });

  it('names stats fields as label values', () => {
    expect(snakeCase('droppedNoLink')).toBe('dropped_no_link');
    expect(snakeCase('plain')).toBe('plain');
  });
});
