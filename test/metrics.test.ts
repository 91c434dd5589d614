// The metrics' bounded label values, and the Grafana dashboard (docs/grafana-dashboard.json)
// checked against the registry: every metric it queries exists, every label it selects or groups
// by is one that metric has, and every metric sdkgate defines has a panel. docs/metrics.md lists
// the same set.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { codeLabel, createMetrics, routeFamily } from '../src/metrics.ts';

const dashboard = JSON.parse(readFileSync(new URL('../docs/grafana-dashboard.json', import.meta.url), 'utf8')) as unknown;
const metricsDoc = readFileSync(new URL('../docs/metrics.md', import.meta.url), 'utf8');

/** Labels every Prometheus series has, or histograms add. */
const IMPLICIT = new Set(['instance', 'job', 'le']);
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

function exprs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) exprs(n, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'expr' && typeof v === 'string') out.push(v);
      else exprs(v, out);
    }
  }
  return out;
}

interface Known {
  readonly labels: ReadonlySet<string>;
  readonly own: boolean;
}

/** Every series name the registry exposes (histograms with their suffixes) and its labels. */
function known(): Map<string, Known> {
  const m = createMetrics();
  const own = new Set(Object.values(m).filter((v) => v && typeof v === 'object' && 'name' in v).map((v) => (v as { name: string }).name));
  const out = new Map<string, Known>();
  for (const metric of m.registry.getMetricsAsArray()) {
    const { name, labelNames = [] } = metric as unknown as { name: string; labelNames?: string[] };
    const entry = { labels: new Set(labelNames), own: own.has(name) };
    out.set(name, entry);
    if ((metric as unknown as { type: string }).type === 'histogram') for (const s of HISTOGRAM_SUFFIXES) out.set(name + s, entry);
  }
  return out;
}

describe('metric labels', () => {
  it('reduce REST routes to a fixed set of families', () => {
    expect(routeFamily('/friend/add_friend')).toBe('friend');
    expect(routeFamily('/msg/pull_msg_by_seq')).toBe('msg');
    expect(routeFamily('/auth/parse_token')).toBe('auth');
    expect(routeFamily('/anything/else')).toBe('other');
    expect(routeFamily('/user')).toBe('other');
  });

  it('keep error codes to the catalog and the OpenIM ranges', () => {
    expect(codeLabel(20002)).toBe('20002');
    expect(codeLabel(1302)).toBe('1302');
    expect(codeLabel(10002)).toBe('10002');
    expect(codeLabel(987654)).toBe('other');
    expect(codeLabel(20099)).toBe('other'); // not in the catalog
    expect(codeLabel(-1)).toBe('other');
    expect(codeLabel(1.5)).toBe('other');
  });
});

describe('Grafana dashboard', () => {
  const series = known();
  const queries = exprs(dashboard);

  it('queries only metrics that exist, by labels they have', () => {
    expect(queries.length).toBeGreaterThan(20);
    for (const q of queries) {
      const names = [...q.matchAll(/\b(sdkgate_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
      expect(names.length, q).toBeGreaterThan(0);
      const labels = new Set<string>();
      for (const name of names) {
        const k = series.get(name);
        expect(k, `${name} in: ${q}`).toBeDefined();
        for (const l of k!.labels) labels.add(l);
      }
      const used = [
        ...[...q.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...m[1]!.matchAll(/([a-zA-Z_]+)\s*(?:=~|!=|!~|=)/g)].map((x) => x[1]!)),
        ...[...q.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim())),
      ];
      for (const l of used) if (!IMPLICIT.has(l)) expect(labels.has(l), `label ${l} in: ${q}`).toBe(true);
    }
  });

  it('has a panel for every metric sdkgate defines, and docs/metrics.md lists each', () => {
    const queried = new Set(queries.flatMap((q) => [...q.matchAll(/\b(sdkgate_[a-z0-9_]+)\b/g)].map((m) => m[1]!)));
    const own = [...series].filter(([name, k]) => k.own && !HISTOGRAM_SUFFIXES.some((s) => name.endsWith(s) && series.has(name.slice(0, -s.length))));
    expect(own.length).toBeGreaterThan(20);
    for (const [name] of own) {
      const covered = queried.has(name) || HISTOGRAM_SUFFIXES.some((s) => queried.has(name + s));
      expect(covered, `${name} has no panel`).toBe(true);
      expect(metricsDoc, `${name} in docs/metrics.md`).toContain(`\`${name}\``);
    }
  });
});
