/**
 * The Prometheus text of a cluster node (issue 14): its routing counters ({@link clusterMetrics})
 * and the `node` label on every series ({@link mergeMetrics}), for the primary of `--workers N`
 * (every worker's text merged) and a node of a Redis cluster (its own text).
 */
import { BACKPLANE_REJECTIONS, type ClusterNodeStats } from '@bond/cluster';

/** A node's routing counters as Prometheus text ({@link mergeMetrics} adds the `node` label). */
export function clusterMetrics(stats: ClusterNodeStats): string {
  const counter = (name: string, help: string, samples: readonly string[]): string =>
    [`# HELP bond_receiver_${name} ${help}`, `# TYPE bond_receiver_${name} counter`, ...samples]
      .map((line) => `${line}\n`)
      .join('');
  const one = (name: string, value: number) => [`bond_receiver_${name} ${value}`];
  return (
    counter(
      'cluster_forwarded_total',
      'Datagrams from links forwarded to the node that owns their stream.',
      one('cluster_forwarded_total', stats.forwarded),
    ) +
    counter(
      'cluster_forwarded_in_total',
      'Datagrams other nodes forwarded to this one (it owns their stream).',
      one('cluster_forwarded_in_total', stats.forwardedIn),
    ) +
    counter(
      'cluster_groups_adopted_total',
      'Streams this node adopted after the node that owned them was gone.',
      one('cluster_groups_adopted_total', stats.groupsAdopted),
    ) +
    counter(
      'cluster_route_lookups_total',
      'Route lookups for sources this node did not know.',
      one('cluster_route_lookups_total', stats.routeLookups),
    ) +
    counter(
      'backplane_rejected_total',
      'Backplane datagrams dropped unread, by reason (a bad tag or an unknown node: not from this cluster).',
      BACKPLANE_REJECTIONS.map(
        (reason) =>
          `bond_receiver_backplane_rejected_total{reason="${reason}"} ${stats.backplane.rejected[reason]}`,
      ),
    )
  );
}

/**
 * Nodes' Prometheus texts as one exposition: each family's HELP and TYPE once, every sample
 * with a `node` label (the node's index).
 */
export function mergeMetrics(texts: readonly { node: number; text: string }[]): string {
  const families = new Map<string, { header: string[]; samples: string[] }>();
  for (const { node, text } of texts) {
    let current: { header: string[]; samples: string[] } | undefined;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta !== null) {
        const name = meta[2] ?? '';
        let family = families.get(name);
        if (family === undefined) {
          family = { header: [], samples: [] };
          families.set(name, family);
        }
        if (!family.header.some((each) => each.startsWith(`# ${meta[1] ?? ''} `))) {
          family.header.push(line);
        }
        current = family;
        continue;
      }
      if (line.startsWith('#') || current === undefined) continue;
      current.samples.push(withNodeLabel(line, node));
    }
  }
  const out: string[] = [];
  for (const family of families.values()) out.push(...family.header, ...family.samples);
  return `${out.join('\n')}\n`;
}

function withNodeLabel(sample: string, node: number): string {
  const brace = sample.indexOf('{');
  const space = sample.indexOf(' ');
  if (brace !== -1 && (space === -1 || brace < space)) {
    // The last brace: a label value may hold one (the value after it cannot).
    const close = sample.lastIndexOf('}');
    const inner = sample.slice(brace + 1, close);
    return `${sample.slice(0, brace)}{node="${node}"${inner === '' ? '' : `,${inner}`}${sample.slice(close)}`;
  }
  return `${sample.slice(0, space)}{node="${node}"}${sample.slice(space)}`;
}
