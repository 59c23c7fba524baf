/**
 * Page 1, Pipeline: the flow from the schedule to the warehouse with the live numbers of each
 * hop, freshness against the 30-minute promise, every alarm with its RUNBOOK section, recent
 * runs, rows per stage, queues and the last hour's throughput (a chart with its table).
 */
import { FACT_TABLES } from '../../../../shared/schema/warehouse.ts';
import { html, type SafeHtml } from '../html.ts';
import type { PipelineView, QueueView } from '../readers/pipeline-view.ts';
import { seriesChart } from '../svg-charts.ts';
import { dataTable, figure, int, problems, seconds, section } from './components.ts';

type Fact = { readonly label: string; readonly value: string; readonly key: string; readonly warn?: boolean };

function hop(id: string, title: string, facts: readonly Fact[], detail?: SafeHtml): SafeHtml {
  return html`<li class="hop" data-hop="${id}"><h3>${title}</h3><dl>${facts.map(
    (f) =>
      html`<div class="${f.warn ? 'warn' : ''}"><dt>${f.label}</dt><dd data-key="${f.key}">${f.value}</dd></div>`,
  )}</dl>${detail ?? ''}</li>`;
}

const queueOf = (view: PipelineView, name: string): QueueView | undefined =>
  view.queues.find((q) => q.name === name);

function queueFacts(prefix: string, q: QueueView | undefined): Fact[] {
  return [
    { label: 'waiting', value: int(q?.visible), key: `${prefix}-visible` },
    { label: 'in flight', value: int(q?.inFlight), key: `${prefix}-in-flight` },
    { label: 'oldest', value: seconds(q?.oldestAgeSeconds), key: `${prefix}-oldest` },
  ];
}

function dlqFacts(prefix: string, q: QueueView | undefined): Fact[] {
  const depth = (q?.visible ?? 0) + (q?.delayed ?? 0);
  return [
    { label: 'DLQ', value: int(depth), key: `${prefix}-dlq`, warn: depth > 0 },
    { label: 'DLQ oldest', value: seconds(q?.oldestAgeSeconds), key: `${prefix}-dlq-oldest` },
  ];
}

function freshnessLine(view: PipelineView): SafeHtml {
  const f = view.freshness;
  const late = f.lagSeconds !== null && f.lagSeconds > f.promiseSeconds;
  const state = f.lagSeconds === null ? 'unknown' : late ? 'late' : 'on time';
  return html`<p class="freshness ${late ? 'bad' : 'good'}" id="freshness"><strong>Freshness: <span data-key="freshness-state">${state}</span></strong> — the warehouse is <span data-key="freshness-lag">${seconds(f.lagSeconds)}</span> behind the source (promise: within ${seconds(f.promiseSeconds)}). ${f.detail}</p>`;
}

function flow(view: PipelineView): SafeHtml {
  const last = view.runs[0];
  const h = view.hops;
  const facts = FACT_TABLES.reduce((sum, t) => sum + (view.warehouseRows[t] ?? 0), 0);
  const dims = Object.entries(view.warehouseRows)
    .filter(([t]) => !(FACT_TABLES as readonly string[]).includes(t))
    .reduce((sum, [, n]) => sum + n, 0);
  const window = view.stagesWindow === 'last hour' ? ', last hour' : '';
  const stage = (name: 'transform' | 'load'): Fact[] =>
    view.stages
      ? [
          { label: `records ok${window}`, value: int(view.stages[name].ok), key: `${name}-ok` },
          {
            label: `records failed${window}`,
            value: int(view.stages[name].failed),
            key: `${name}-failed`,
            warn: view.stages[name].failed > 0,
          },
        ]
      : [];
  return html`<ol class="flow" aria-label="The pipeline, in the order data flows">
${hop('schedule', 'schedule', [
  {
    label: 'every',
    value: view.scheduleSeconds === null ? '–' : seconds(view.scheduleSeconds),
    key: 'schedule-every',
  },
  { label: 'last good run', value: view.lastHeartbeat ?? 'never', key: 'heartbeat' },
])}
${hop('extract', 'extract', [
  {
    label: 'last run',
    value: last ? last.status : 'none yet',
    key: 'extract-status',
    warn: last?.status === 'failed',
  },
  {
    label: 'duration',
    value: last?.durationMs === null || last === undefined ? '–' : `${(last.durationMs / 1000).toFixed(1)} s`,
    key: 'extract-duration',
  },
  { label: 'changed rows', value: int(last?.changedRows), key: 'extract-changed' },
])}
${hop('ingestion', `ingestion (${h.ingestionBucket})`, [{ label: 'rows written', value: int(last?.rows), key: 'ingestion-rows' }])}
${hop('transform-queue', `transform queue (${h.transformQueue})`, [
  ...queueFacts('transform-queue', queueOf(view, h.transformQueue)),
  ...dlqFacts('transform', queueOf(view, h.transformDlq)),
])}
${hop('transform', 'transform', stage('transform'))}
${hop('processed', `processed (${h.processedBucket})`, [{ label: 'units loaded, last hour', value: int(view.lastHour.units), key: 'processed-units' }])}
${hop('load-queue', `load queue (${h.loadQueue})`, [
  ...queueFacts('load-queue', queueOf(view, h.loadQueue)),
  ...dlqFacts('load', queueOf(view, h.loadDlq)),
])}
${hop('load', 'load', [
  ...stage('load'),
  { label: 'rows inserted, last hour', value: int(view.lastHour.inserted), key: 'load-inserted' },
  { label: 'rows updated, last hour', value: int(view.lastHour.updated), key: 'load-updated' },
])}
${hop('warehouse', 'warehouse', [
  { label: 'fact rows', value: int(facts), key: 'warehouse-facts' },
  { label: 'dimension rows', value: int(dims), key: 'warehouse-dims' },
  { label: 'units loaded', value: int(view.unitsLoaded), key: 'warehouse-units' },
  {
    label: 'behind source',
    value: seconds(view.freshness.lagSeconds),
    key: 'warehouse-lag',
    warn: view.freshness.lagSeconds !== null && view.freshness.lagSeconds > view.freshness.promiseSeconds,
  },
])}
</ol>`;
}

function alarms(view: PipelineView): SafeHtml {
  const firing = view.alarms.filter((a) => a.state !== 'OK').length;
  return section({
    id: 'alarms',
    title: 'Alarms',
    count:
      view.alarms.length === 0
        ? 'not evaluated'
        : firing === 0
          ? `all ${view.alarms.length} OK`
          : `${firing} of ${view.alarms.length} in ALARM`,
    anchor: true,
    body: html`<div class="table-scroll" tabindex="0" role="region" aria-label="Alarms"><table>
<caption>Each alarm's state and what to do about it</caption>
<thead><tr><th scope="col">alarm</th><th scope="col">state</th><th scope="col">why</th><th scope="col">runbook</th></tr></thead>
<tbody>${view.alarms.map(
      (a) =>
        html`<tr data-alarm="${a.name}"><td>${a.name}</td><td><span class="state ${a.state === 'OK' ? 'good' : 'bad'}" data-key="alarm-state">${a.state}</span></td><td>${a.reason}</td><td><a href="/runbook#${a.runbook}">RUNBOOK: ${a.runbook}</a></td></tr>`,
    )}</tbody></table></div>`,
  });
}

function runs(view: PipelineView): SafeHtml {
  return dataTable({
    caption: 'Recent extract runs, newest first',
    id: 'runs',
    columns: [
      { key: 'runId', label: 'run', kind: 'text' },
      { key: 'status', label: 'status', kind: 'text' },
      { key: 'extractedAt', label: 'source snapshot (UTC)', kind: 'text' },
      { key: 'seconds', label: 'duration (s)', kind: 'decimal' },
      { key: 'changedRows', label: 'changed rows', kind: 'int' },
      { key: 'rows', label: 'rows written', kind: 'int' },
      { key: 'error', label: 'error', kind: 'text' },
    ],
    rows: view.runs.map((r) => ({
      ...r,
      seconds: r.durationMs === null ? null : (r.durationMs / 1000).toFixed(2),
    })),
  });
}

function watermarks(view: PipelineView): SafeHtml {
  return dataTable({
    caption: 'Watermarks: each source table read up to (the next extract starts after it)',
    id: 'watermarks',
    columns: [
      { key: 'table', label: 'source table', kind: 'text' },
      { key: 'watermark', label: 'watermark (source clock)', kind: 'text' },
    ],
    rows: Object.entries(view.watermarks)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([table, watermark]) => ({ table, watermark })),
  });
}

function rowsPerStage(view: PipelineView): SafeHtml {
  const extracted = new Map<string, number>();
  for (const run of view.runs) {
    for (const [table, n] of Object.entries(run.rowsByTable))
      extracted.set(table, (extracted.get(table) ?? 0) + n);
  }
  return html`<div class="two">${dataTable({
    caption: `Rows extracted per source table (the ${view.runs.length} runs above)`,
    id: 'rows-extracted',
    columns: [
      { key: 'table', label: 'source table', kind: 'text' },
      { key: 'rows', label: 'rows', kind: 'int' },
    ],
    rows: [...extracted].sort().map(([table, rows]) => ({ table, rows })),
  })}${dataTable({
    caption: 'Rows in the warehouse per table',
    id: 'rows-warehouse',
    columns: [
      { key: 'table', label: 'warehouse table', kind: 'text' },
      { key: 'rows', label: 'rows', kind: 'int' },
    ],
    rows: Object.entries(view.warehouseRows).map(([table, rows]) => ({ table, rows })),
  })}</div>`;
}

function queues(view: PipelineView): SafeHtml {
  return dataTable({
    caption: 'Queues and dead-letter queues',
    id: 'queues',
    columns: [
      { key: 'name', label: 'queue', kind: 'text' },
      { key: 'kind', label: 'kind', kind: 'text' },
      { key: 'visible', label: 'waiting', kind: 'int' },
      { key: 'inFlight', label: 'in flight', kind: 'int' },
      { key: 'delayed', label: 'delayed', kind: 'int' },
      { key: 'oldest', label: 'oldest message', kind: 'text' },
    ],
    rows: view.queues.map((q) => ({
      ...q,
      kind: q.dlq ? 'DLQ' : 'queue',
      oldest: seconds(q.oldestAgeSeconds),
    })),
  });
}

function throughput(view: PipelineView): SafeHtml {
  const points = view.throughput;
  return figure({
    id: 'throughput',
    title: 'Throughput, last hour',
    note: `rows the load wrote (inserted + updated) per minute, from ${view.throughputSource}`,
    chart:
      points.length === 0
        ? null
        : seriesChart({
            id: 'throughput-chart',
            title: 'Rows loaded per minute over the last hour',
            categories: points.map((p) => p.minute.slice(11)),
            series: [{ name: 'rows', values: points.map((p) => String(p.rows)) }],
            kind: 'columns',
            labelEvery: 10,
          }),
    table: dataTable({
      caption: 'Rows and units loaded per minute (UTC)',
      columns: [
        { key: 'minute', label: 'minute', kind: 'text' },
        { key: 'units', label: 'units', kind: 'int' },
        { key: 'rows', label: 'rows', kind: 'int' },
      ],
      rows: [...points].reverse().map((p) => ({ ...p })),
    }),
  });
}

/** The part of the page that refreshes itself. */
export function pipelineLive(view: PipelineView): SafeHtml {
  return html`<p class="updated">Updated <time datetime="${view.at}">${view.at.slice(11, 19)} UTC</time>; refreshes by itself.</p>
${problems(view.problems)}
${freshnessLine(view)}
${flow(view)}
${alarms(view)}
${throughput(view)}
${section({ id: 'runs', title: 'Recent runs', body: html`${runs(view)}${watermarks(view)}` })}
${section({ id: 'stages', title: 'Rows per stage', body: rowsPerStage(view) })}
${section({ id: 'queues', title: 'Queues', body: queues(view) })}`;
}
