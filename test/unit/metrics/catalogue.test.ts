/** The metrics catalogue (shared/metrics) against the alarm definitions that name its metrics. */
import { readdirSync, readFileSync } from 'node:fs';
import { loadAlarmDefinitions } from '../../../shared/config/alarms.ts';
import { METRICS_NAMESPACE, metricsNamespace, STAGE_METRICS } from '../../../shared/metrics/index.ts';

const definitions = loadAlarmDefinitions();
const custom = definitions.filter((alarm) => !alarm.metric.namespace.startsWith('AWS/'));

describe('shared/metrics catalogue', () => {
  test('the alarms watch custom metrics (the check below has something to check)', () => {
    expect(custom.map((alarm) => alarm.kind).sort()).toEqual(
      expect.arrayContaining(['freshness', 'heartbeat', 'records-failed']),
    );
  });

  test.each(custom.map((alarm) => [alarm.id, alarm] as const))(
    'alarm %s names a metric of its stage catalogue, in the one namespace',
    (_id, alarm) => {
      expect(alarm.metric.namespace).toBe(METRICS_NAMESPACE);
      const names = STAGE_METRICS[alarm.stage].map((metric) => metric.name);
      expect(names).toContain(alarm.metric.name);
      const metric = STAGE_METRICS[alarm.stage].find((m) => m.name === alarm.metric.name)!;
      // CloudWatch matches an exact dimension set: the alarm may name only the defaults
      // (service, stage) and the dimensions the catalogue says the metric carries.
      const allowed = new Set(['service', 'stage', ...(metric.dimensions ?? [])]);
      for (const dimension of Object.keys(alarm.metric.dimensions)) expect(allowed).toContain(dimension);
    },
  );

  test('a metric name means one thing: unique within a stage, one unit across stages', () => {
    const units = new Map<string, string>();
    for (const metrics of Object.values(STAGE_METRICS)) {
      const names = metrics.map((m) => m.name);
      expect(new Set(names).size).toBe(names.length);
      for (const metric of metrics) {
        expect(units.get(metric.name) ?? metric.unit).toBe(metric.unit);
        units.set(metric.name, metric.unit);
      }
    }
  });

  test('a handler without POWERTOOLS_METRICS_NAMESPACE uses the catalogue namespace', () => {
    expect(metricsNamespace({})).toBe('TotesPipeline');
    expect(metricsNamespace({ POWERTOOLS_METRICS_NAMESPACE: 'Other' })).toBe('Other');
  });

  test('the Terraform names the catalogue namespace and only catalogued custom metrics (dashboard)', () => {
    const folder = new URL('../../../infra-terraform/', import.meta.url);
    const terraform = readdirSync(folder)
      .filter((file) => file.endsWith('.tf'))
      .map((file) => readFileSync(new URL(file, folder), 'utf8'))
      .join('\n');
    expect(terraform).toContain(`metrics_namespace = "${METRICS_NAMESPACE}"`);
    const named = [...terraform.matchAll(/\[local\.metrics_namespace, "([A-Za-z]+)"/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThanOrEqual(3);
    const catalogued = new Set(Object.values(STAGE_METRICS).flatMap((metrics) => metrics.map((m) => m.name)));
    for (const name of named) expect(catalogued).toContain(name);
  });
});
