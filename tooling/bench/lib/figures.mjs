// Which plots each benchmark's JSON report gets: one entry per benchmark (the report's
// `benchmark` field) mapping the report to a list of { name, svg }. The benchmarks call this when
// they write their JSON, and tooling/bench/plot.mjs calls it to redraw plots from saved JSON, so a
// figure is always drawn from the JSON alone. Adding a benchmark's plots is one entry in FIGURES.
import { BASELINE_COLOR, PALETTE, barChart, formatNumber, timeSeries } from './plot.mjs';

const BOND_COLOR = '#0072b2';
/** The real peer a benchmark runs beside bond (irlserver's srtla_rec, BELABOX's srtla_send). */
const PEER_COLOR = '#d55e00';
const kpps = (pps) => `${formatNumber(pps / 1000)}k pps`;
const mib = (kib) => kib / 1024;

function ioFigures(report) {
  const figures = [];
  const directions = [...new Set(report.rows.map((row) => row.direction))];
  const backends = [...new Set(report.rows.map((row) => row.backend))];
  for (const direction of directions) {
    const rows = report.rows.filter((row) => row.direction === direction);
    const rates = [...new Set(rows.map((row) => row.offeredPps))];
    const series = (field) =>
      backends.map((backend) => ({
        name: backend,
        color: backend === 'dgram' ? BASELINE_COLOR : BOND_COLOR,
        values: rates.map(
          (rate) => rows.find((row) => row.offeredPps === rate && row.backend === backend)?.[field],
        ),
      }));
    const subtitle = `${report.size}-byte datagrams on loopback, ${report.seconds} s x ${report.rounds} rounds, medians`;
    figures.push(
      {
        name: `io-${direction}-delivered`,
        svg: barChart({
          title: `Batched IO, ${direction}: delivered packets per second`,
          subtitle,
          xLabel: 'offered rate',
          yLabel: 'delivered pps',
          categories: rates.map(kpps),
          series: series('deliveredPps'),
        }),
      },
      {
        name: `io-${direction}-cpu`,
        svg: barChart({
          title: `Batched IO, ${direction}: CPU per delivered packet`,
          subtitle,
          xLabel: 'offered rate',
          yLabel: 'CPU us per packet',
          categories: rates.map(kpps),
          series: series('cpuMicrosPerPacket'),
        }),
      },
    );
  }
  return figures;
}

function receiverFigures(report) {
  const categories = report.results.map((row) => `${row.groups} g, ${kpps(row.offeredPps)}`);
  const series = (field) =>
    [
      { key: 'bond', name: 'bond-receiver', color: BOND_COLOR },
      { key: 'irlserver', name: "irlserver's srtla_rec", color: PEER_COLOR },
      { key: 'c-forwarder', name: 'C forwarder', color: BASELINE_COLOR },
      { key: 'bond-baseline', name: 'bond-receiver, baseline build', color: '#56b4e9' },
    ]
      .filter(({ key }) => report.results.some((r) => r[key] !== undefined))
      .map(({ key, name, color }) => ({
        name,
        color,
        values: report.results.map((r) => r[key]?.[field] ?? null),
      }));
  const subtitle = `${report.links} links per group, 1332-byte SRT data, ${report.seconds} s x ${report.rounds} rounds, medians`;
  return [
    {
      name: 'receiver-cpu',
      svg: barChart({
        title: 'Receiver forwarding: CPU per forwarded packet',
        subtitle,
        xLabel: 'groups, offered rate',
        yLabel: 'CPU us per packet',
        categories,
        series: series('cpuUsPerPacket'),
        width: Math.max(720, 70 * categories.length),
      }),
    },
    {
      name: 'receiver-loss',
      svg: barChart({
        title: 'Receiver forwarding: loss',
        subtitle,
        xLabel: 'groups, offered rate',
        yLabel: 'loss (%)',
        categories,
        series: series('lossPercent'),
        references: [{ value: 0.1, label: '0.1%: "clean"' }],
        width: Math.max(720, 70 * categories.length),
      }),
    },
  ];
}

function senderFigures(report) {
  const categories = report.results.map((row) => `${row.rateMbps} Mbit/s`);
  const series = (field, scale = (v) => v) =>
    [
      { key: 'bond', name: 'bond-sender', color: BOND_COLOR },
      { key: 'srtla_send', name: "BELABOX's srtla_send", color: PEER_COLOR },
      { key: 'relay', name: 'C relay (round-robin)', color: BASELINE_COLOR },
      { key: 'bond-baseline', name: 'bond-sender, baseline build', color: '#56b4e9' },
    ]
      .filter(({ key }) => report.results.some((r) => r[key] !== undefined))
      .map(({ key, name, color }) => ({
        name,
        color,
        values: report.results.map((r) => (r[key] === undefined ? null : scale(r[key][field]))),
      }));
  const path =
    report.path === 'real' ? 'SRT caller -> sender -> srtla_rec -> SRT listener' : 'C stand-ins';
  const subtitle = `${path}; ${report.links} links, ${report.payloadBytes}-byte payloads, scheduler ${report.scheduler}, ${report.seconds} s x ${report.rounds} rounds, medians`;
  return [
    {
      name: 'sender-cpu-per-packet',
      svg: barChart({
        title: 'Sender forwarding: CPU per delivered packet',
        subtitle,
        xLabel: 'stream rate (payload)',
        yLabel: 'CPU us per packet',
        categories,
        series: series('cpuUsPerPacket'),
      }),
    },
    {
      name: 'sender-cpu-percent',
      svg: barChart({
        title: 'Sender forwarding: CPU, % of one core',
        subtitle,
        xLabel: 'stream rate (payload)',
        yLabel: '% of one core',
        categories,
        series: series('cpuPercentOfOneCore'),
        references: [
          {
            value: report.target.cpuPercentOfOneCore,
            label: `target at ${report.target.rateMbps} Mbit/s: < ${report.target.cpuPercentOfOneCore}%`,
          },
        ],
      }),
    },
    {
      name: 'sender-loss',
      svg: barChart({
        title: 'Sender forwarding: loss (sent by the encoder, not delivered)',
        subtitle,
        xLabel: 'stream rate (payload)',
        yLabel: 'loss (%)',
        categories,
        series: series('lossPercent'),
      }),
    },
    {
      name: 'sender-memory',
      svg: barChart({
        title: 'Sender forwarding: resident memory at the end of the window',
        subtitle,
        xLabel: 'stream rate (payload)',
        yLabel: 'VmRSS (MiB)',
        categories,
        series: series('rssKiB', mib),
      }),
    },
  ];
}

function scaleFigures(report) {
  const categories = report.points.map((point) => `${point.groups} groups`);
  const subtitle = `bond-receiver; ${report.dataPps} data pps in total over all groups, 1 keepalive/s per link; ${report.windows} x ${report.seconds} s per point, medians`;
  const events = report.timeline.events.map((event) => ({ at: event.at, label: event.label }));
  return [
    {
      name: 'scale-memory',
      svg: barChart({
        title: 'Scale: receiver resident memory by registered groups',
        subtitle,
        xLabel: 'registered groups (2-4 links each)',
        yLabel: 'MiB',
        categories,
        series: [
          {
            name: 'VmRSS',
            color: BOND_COLOR,
            values: report.points.map((p) => mib(p.rssKiB)),
          },
          {
            name: 'V8 heap used',
            color: '#56b4e9',
            values: report.points.map((p) => (p.heapUsedKiB === null ? null : mib(p.heapUsedKiB))),
          },
        ],
      }),
    },
    {
      name: 'scale-cpu',
      svg: barChart({
        title: 'Scale: receiver CPU per packet handled',
        subtitle,
        xLabel: 'registered groups (2-4 links each)',
        yLabel: 'CPU us per packet (data + keepalive)',
        categories,
        series: [
          {
            name: 'bond-receiver',
            color: BOND_COLOR,
            values: report.points.map((p) => p.cpuUsPerPacket),
          },
        ],
      }),
    },
    {
      name: 'scale-timeline',
      svg: timeSeries({
        title: 'Scale: receiver memory and CPU over the run',
        subtitle: 'markers: groups registered up to the next scale point',
        xLabel: 'time (s)',
        yLabel: 'MiB  /  % of one core',
        series: [
          {
            name: 'VmRSS (MiB)',
            color: BOND_COLOR,
            points: report.timeline.samples.map((s) => [s.at, mib(s.rssKiB)]),
          },
          {
            name: 'CPU (% of one core)',
            color: '#e69f00',
            points: report.timeline.samples.map((s) => [s.at, s.cpuPercent]),
          },
        ],
        markers: events,
        dots: false,
      }),
    },
  ];
}

/** The bars of one section-4 result row: its scenario, plus the reorder setting for skew. */
function qualityCategory(report, result) {
  const plan = report.scenarios.find((s) => s.name === result.scenario);
  const variant = (plan?.variants.length ?? 1) > 1 ? ` ${result.reorder}` : '';
  return `${result.scenario}${variant}`;
}

/** Adaptive beside classic, in each scheduler's colour. */
const SCHEDULER_COLORS = { adaptive: BOND_COLOR, classic: BASELINE_COLOR };

function qualityFigures(report) {
  const figures = [];
  const keys = [];
  for (const result of report.results) {
    const key = qualityCategory(report, result);
    if (!keys.includes(key)) keys.push(key);
  }
  const pick = (key, scheduler, field) =>
    report.results.find((r) => qualityCategory(report, r) === key && r.scheduler === scheduler)?.[
      field
    ] ?? null;
  const bySchedulers = (field) =>
    report.schedulers.map((scheduler) => ({
      name: scheduler,
      color: SCHEDULER_COLORS[scheduler],
      values: keys.map((key) => pick(key, scheduler, field)),
    }));
  const width = Math.max(720, 110 * keys.length);
  const subtitle = `${report.ends} ends, SRT latency ${report.latencyMs} ms, ${report.rounds} round(s), medians; receiver --reorder ${report.reorder} (skew: as named)`;
  const offered = (key) => {
    const value = report.results.find((r) => qualityCategory(report, r) === key)?.offeredMbps;
    return `${key} (${formatNumber(value)})`;
  };
  // The trace scenarios, compared with what their links could carry (lib/oracle.mjs).
  const oracleKeys = keys.filter((key) =>
    report.results.some(
      (r) => qualityCategory(report, r) === key && Number.isFinite(r.ofOraclePercent),
    ),
  );
  figures.push(
    {
      name: 'quality-goodput',
      svg: barChart({
        title: 'Bonding quality: goodput (distinct payloads delivered by the SRT listener)',
        subtitle,
        xLabel: 'scenario (offered Mbit/s)',
        yLabel: 'Mbit/s',
        categories: keys.map(offered),
        series: bySchedulers('goodputMbps'),
        width,
      }),
    },
    ...(oracleKeys.length === 0
      ? []
      : [
          {
            name: 'quality-oracle',
            svg: barChart({
              title: 'Bonding quality: delivered, % of what the links could carry (the oracle)',
              subtitle: `${subtitle}; oracle: every packet on the link where it arrives first, knowing the traces`,
              xLabel: 'trace scenario',
              yLabel: '% of the oracle',
              categories: oracleKeys,
              series: report.schedulers.map((scheduler) => ({
                name: scheduler,
                color: SCHEDULER_COLORS[scheduler],
                values: oracleKeys.map((key) => pick(key, scheduler, 'ofOraclePercent')),
              })),
              references: [
                {
                  value: 100 * report.targets.oracleFraction,
                  label: `target: ${100 * report.targets.oracleFraction}%`,
                },
              ],
              width,
            }),
          },
        ]),
    {
      name: 'quality-delay',
      svg: barChart({
        title: "Bonding quality: path delay (stamp to bond-receiver's output), p50 and p95",
        subtitle,
        xLabel: 'scenario',
        yLabel: 'ms',
        categories: keys,
        series: report.schedulers.flatMap((scheduler) =>
          ['p50', 'p95'].map((p) => ({
            name: `${scheduler} ${p}`,
            color:
              p === 'p95'
                ? SCHEDULER_COLORS[scheduler]
                : scheduler === 'adaptive'
                  ? '#56b4e9'
                  : '#cccccc',
            values: keys.map((key) =>
              pick(key, scheduler, p === 'p50' ? 'pathP50Ms' : 'pathP95Ms'),
            ),
          })),
        ),
        width: Math.max(720, 170 * keys.length),
      }),
    },
    {
      name: 'quality-hold',
      svg: barChart({
        title: 'Bonding quality: time inside bond-receiver (its input to its output), p95',
        subtitle: `${subtitle}; with the reorder engine on, its hold`,
        xLabel: 'scenario',
        yLabel: 'ms',
        categories: keys,
        series: bySchedulers('holdP95Ms'),
        references: report.scenarios
          .filter((s) => s.skewMs !== undefined)
          .map((s) => ({
            value: report.targets.skewAddedDelayOfSkew * s.skewMs,
            label: `skew target: <= ${report.targets.skewAddedDelayOfSkew}x the ${s.skewMs} ms skew`,
          })),
        width,
      }),
    },
    {
      name: 'quality-retransmissions',
      svg: barChart({
        title: "Bonding quality: SRT retransmissions (the SRT caller's count)",
        subtitle,
        xLabel: 'scenario',
        yLabel: '% of payloads sent',
        categories: keys,
        series: bySchedulers('retransmittedPercent'),
        width,
      }),
    },
  );
  const recoveryBars = [
    ['outage', 'offAfterS', 'outage: off the dead link'],
    ['outage', 'backAfterS', 'outage: back after restore'],
    ['recovery', 'backAfterS', 'recovery: fair share after heal'],
  ].filter(([scenario]) => report.results.some((r) => r.scenario === scenario));
  if (recoveryBars.length > 0) {
    figures.push({
      name: 'quality-recovery',
      svg: barChart({
        title: 'Bonding quality: how fast traffic leaves a failed link and comes back',
        subtitle: `sampled every ${report.sampleMs} ms, window ends (upper bounds); n/a: not within the run`,
        xLabel: 'measure',
        yLabel: 'seconds',
        categories: recoveryBars.map(([, , label]) => label),
        series: report.schedulers.map((scheduler) => ({
          name: scheduler,
          color: SCHEDULER_COLORS[scheduler],
          values: recoveryBars.map(([scenario, field]) => {
            const result = report.results.find(
              (r) => r.scenario === scenario && r.scheduler === scheduler,
            );
            const never = field === 'offAfterS' ? result?.offNever : result?.backNever;
            return never > 0 ? null : (result?.[field] ?? null);
          }),
        })),
        references: [
          { value: report.targets.outageOffS, label: `off within ${report.targets.outageOffS} s` },
          {
            value: report.targets.outageBackS,
            label: `back within ${report.targets.outageBackS} s`,
          },
        ],
      }),
    });
  }
  // A time series per scenario (and reorder setting) and scheduler, from its first round.
  for (const run of report.runs) {
    if (run.error !== undefined || run.timeline === undefined) continue;
    if (
      report.runs.some(
        (other) =>
          other.timeline !== undefined &&
          other.scenario === run.scenario &&
          other.reorder === run.reorder &&
          other.scheduler === run.scheduler &&
          other.round < run.round,
      )
    ) {
      continue;
    }
    const plan = report.scenarios.find((s) => s.name === run.scenario);
    const variant = (plan?.variants.length ?? 1) > 1 ? `-${run.reorder}` : '';
    const stem = `quality-${run.scenario}${variant}-${run.scheduler}`;
    const timeline = run.timeline;
    const linkNames = timeline.links.map((l) => l.name);
    const color = (i) => PALETTE[i % PALETTE.length];
    const markers = run.events.flatMap((event) => [
      { at: event.atS, label: event.label, until: event.untilS },
      { at: event.untilS, label: `${event.link} restored` },
    ]);
    const watch = run.watch;
    const failAt = run.events[0]?.atS;
    const restoreAt = run.events[0]?.untilS;
    if (watch !== null && watch !== undefined) {
      if (Number.isFinite(watch.offAfterS) && run.scenario === 'outage') {
        markers.push({
          at: failAt + watch.offAfterS,
          label: `off +${watch.offAfterS} s`,
          color: '#009e73',
        });
      }
      if (Number.isFinite(watch.backAfterS)) {
        markers.push({
          at: restoreAt + watch.backAfterS,
          label: `back +${watch.backAfterS} s`,
          color: '#009e73',
        });
      }
    }
    /** [t, value] points of a timeline column (`scale` applied to non-null values). */
    const points = (values, scale = (v) => v) =>
      timeline.t.map((t, i) => [t, values[i] === null ? null : scale(values[i])]);
    const linkColumn = (name, field) => timeline.links.find((l) => l.name === name)?.[field] ?? [];
    const title = `${run.scenario}${variant === '' ? '' : ` (reorder ${run.reorder})`}, ${run.scheduler}`;
    const series = linkNames.map((name, i) => ({
      name,
      color: color(i),
      points: points(linkColumn(name, 'share'), (v) => 100 * v),
    }));
    if (watch !== null && watch !== undefined) {
      const i = linkNames.indexOf(watch.link);
      series.push({
        name: `${watch.link} offered`,
        color: color(i),
        dash: '5 3',
        points: points(linkColumn(watch.link, 'offeredShare'), (v) => 100 * v),
      });
    }
    figures.push(
      {
        name: `${stem}-share`,
        svg: timeSeries({
          title: `${title}: each link's share of the bytes`,
          subtitle: `${plan?.title ?? run.scenario}; ${report.sampleMs} ms windows; dashed: offered`,
          xLabel: 'time since the stream started (s)',
          yLabel: 'share (%)',
          series,
          markers,
          yRange: [0, 100],
          dots: false,
        }),
      },
      {
        name: `${stem}-delay`,
        svg: timeSeries({
          title: `${title}: delay`,
          subtitle:
            "links: one way (queue + propagation); path: stamp to bond-receiver's output; in receiver: its input to its output",
          xLabel: 'time since the stream started (s)',
          yLabel: 'ms',
          series: [
            ...linkNames.map((name, i) => ({
              name,
              color: color(i),
              // A link that delivered nothing in a window (an outage) has no delay to show.
              points: points(
                linkColumn(name, 'oneWayMs').map((ms, i) =>
                  linkColumn(name, 'share')[i] > 0 ? ms : null,
                ),
              ),
            })),
            {
              name: 'path p95',
              color: '#000000',
              points: points(timeline.pathP95Ms),
            },
            {
              name: 'path p50',
              color: '#000000',
              dash: '5 3',
              points: points(timeline.pathP50Ms),
            },
            {
              name: 'in receiver p95',
              color: '#999999',
              dash: '2 3',
              points: points(timeline.holdP95Ms),
            },
          ],
          markers,
          dots: false,
        }),
      },
    );
  }
  return figures;
}

function reliabilityFigures(report) {
  const categories = report.results.map((row) => row.attack);
  const systems = [
    { key: 'bond', name: 'bond-receiver', color: BOND_COLOR },
    { key: 'irlserver', name: "irlserver's srtla_rec", color: PEER_COLOR },
  ].filter(({ key }) => report.systems.includes(key));
  const series = (field, scale = (v) => v) =>
    systems.map(({ key, name, color }) => ({
      name,
      color,
      values: report.results.map((row) => {
        const value = row[key]?.[field];
        return Number.isFinite(value) ? scale(value) : null;
      }),
    }));
  const subtitle = `live stream ${report.streamPps} payloads/s through ${report.streamSender ?? 'BELABOX srtla_send'}, SRT latency ${report.latencyMs} ms; ${report.rounds} round(s), medians`;
  const width = Math.max(720, 90 * categories.length);
  const chart = (name, title, yLabel, field, scale) => ({
    name,
    svg: barChart({
      title,
      subtitle,
      xLabel: 'attack',
      yLabel,
      categories,
      series: series(field, scale),
      width,
    }),
  });
  return [
    chart('reliability-lost', 'Under attack: live-stream payloads lost', 'payloads', 'lost'),
    chart(
      'reliability-drops',
      "Under attack: kernel drops at the receiver's listening socket",
      'datagrams',
      'kernelDrops',
    ),
    chart(
      'reliability-reply-p99',
      'Under attack: reply delay to a REG1 probe, p99',
      'ms',
      'replyP99Ms',
    ),
    chart(
      'reliability-cpu',
      'Under attack: receiver CPU over the attack',
      'CPU seconds',
      'cpuSeconds',
    ),
    chart(
      'reliability-rss-peak',
      'Under attack: receiver peak resident memory (VmHWM)',
      'MiB',
      'rssPeakKiB',
      mib,
    ),
    chart(
      'reliability-rss-after',
      "Under attack: receiver resident memory after the flood's groups expired",
      'MiB',
      'rssAfterKiB',
      mib,
    ),
  ];
}

/** benchmark name (the report's `benchmark` field) -> its figures. */
export const FIGURES = {
  'batched-io': ioFigures,
  'receiver-forwarding': receiverFigures,
  'sender-forwarding': senderFigures,
  scale: scaleFigures,
  'bonding-quality': qualityFigures,
  reliability: reliabilityFigures,
};

/** The plots of one report; throws for a report no entry knows. */
export function figuresFor(report) {
  const draw = FIGURES[report?.benchmark];
  if (draw === undefined) {
    throw new Error(
      `no figures for benchmark "${report?.benchmark}": known are ${Object.keys(FIGURES).join(', ')} (add an entry to tooling/bench/lib/figures.mjs)`,
    );
  }
  return draw(report);
}
