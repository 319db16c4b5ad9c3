// Which plots each benchmark's JSON report gets: one entry per benchmark (the report's
// `benchmark` field) mapping the report to a list of { name, svg }. The benchmarks call this when
// they write their JSON, and tooling/bench/plot.mjs calls it to redraw plots from saved JSON, so a
// figure is always drawn from the JSON alone. Adding a benchmark's plots is one entry in FIGURES.
import { BASELINE_COLOR, barChart, formatNumber, timeSeries } from './plot.mjs';

const BOND_COLOR = '#0072b2';
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
  const series = (field) => [
    { name: 'bond-receiver', color: BOND_COLOR, values: report.results.map((r) => r.bond[field]) },
    {
      name: 'C forwarder',
      color: BASELINE_COLOR,
      values: report.results.map((r) => r['c-forwarder'][field]),
    },
  ];
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
  const series = (field, scale = (v) => v) => [
    {
      name: 'bond-sender',
      color: BOND_COLOR,
      values: report.results.map((r) => scale(r.bond[field])),
    },
    {
      name: 'C relay (round-robin)',
      color: BASELINE_COLOR,
      values: report.results.map((r) => scale(r.relay[field])),
    },
  ];
  const subtitle = `${report.links} links, ${report.payloadBytes}-byte payloads, scheduler ${report.scheduler}, ${report.seconds} s x ${report.rounds} rounds, medians`;
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

/** benchmark name (the report's `benchmark` field) -> its figures. */
export const FIGURES = {
  'batched-io': ioFigures,
  'receiver-forwarding': receiverFigures,
  'sender-forwarding': senderFigures,
  scale: scaleFigures,
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
