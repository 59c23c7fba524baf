/**
 * Page 3, Warehouse: the star-schema views (readers/warehouse-views.ts), each a chart with its
 * numbers as a table and a CSV download, the filters they share, and rows / last load per table.
 */
import { html, type SafeHtml } from '../html.ts';
import type { TableStats, ViewResult } from '../readers/warehouse-reader.ts';
import type { ChartSpec, ViewFilters } from '../readers/warehouse-views.ts';
import { barChart, type Series, seriesChart } from '../svg-charts.ts';
import { dataTable, figure, section } from './components.ts';

type Row = Readonly<Record<string, unknown>>;
const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));

export function chartFor(id: string, title: string, spec: ChartSpec, rows: readonly Row[]): SafeHtml | null {
  if (rows.length === 0) return null;
  switch (spec.kind) {
    case 'bars':
      return barChart({
        id: `${id}-chart`,
        title,
        labels: rows.map((r) => spec.label.map((k) => text(r[k])).join(', ')),
        values: rows.map((r) => text(r[spec.value]) || '0'),
      });
    case 'series':
      return seriesChart({
        id: `${id}-chart`,
        title,
        kind: spec.style,
        categories: rows.map((r) => text(r[spec.category])),
        series: spec.series.map((s) => ({ name: s.name, values: rows.map((r) => text(r[s.key]) || null) })),
      });
    case 'pivot': {
      const categories = [...new Set(rows.map((r) => text(r[spec.category])))];
      const names = [...new Set(rows.map((r) => text(r[spec.seriesKey])))];
      const series: Series[] = names.map((name) => ({
        name,
        values: categories.map((c) => {
          const row = rows.find((r) => text(r[spec.category]) === c && text(r[spec.seriesKey]) === name);
          return row ? text(row[spec.value]) : null;
        }),
      }));
      return seriesChart({ id: `${id}-chart`, title, kind: spec.style, categories, series });
    }
  }
}

export function filterQuery(filters: ViewFilters): string {
  const params = new URLSearchParams();
  if (filters.from) params.set('from', filters.from);
  if (filters.to) params.set('to', filters.to);
  params.set('currency', filters.currency);
  return params.toString();
}

/** The filters every view shares (above the refreshing part: typing is never interrupted). */
export function warehouseForm(filters: ViewFilters, currencies: readonly string[]): SafeHtml {
  return html`<form method="get" action="/warehouse" class="filters" aria-label="Filters for every view">
<label>From <input type="date" name="from" value="${filters.from ?? ''}"></label>
<label>To <input type="date" name="to" value="${filters.to ?? ''}"></label>
<label>Currency for money views <select name="currency">${currencies.map(
    (c) => html`<option value="${c}"${c === filters.currency ? html` selected` : ''}>${c}</option>`,
  )}</select></label>
<button type="submit">Apply</button>
</form>`;
}

function tables(stats: readonly TableStats[]): SafeHtml {
  return section({
    id: 'tables',
    title: 'Tables',
    anchor: true,
    body: dataTable({
      caption: 'Rows per warehouse table and when a load last wrote to it (UTC)',
      id: 'table-stats',
      columns: [
        { key: 'table', label: 'table', kind: 'text' },
        { key: 'rows', label: 'rows', kind: 'int' },
        { key: 'lastLoaded', label: 'last loaded (UTC)', kind: 'text' },
      ],
      rows: stats.map((s) => ({ ...s })),
    }),
  });
}

export function warehouseLive(options: {
  readonly results: readonly ViewResult[];
  readonly stats: readonly TableStats[];
  readonly filters: ViewFilters;
  readonly at: string;
}): SafeHtml {
  const query = filterQuery(options.filters);
  return html`<p class="updated">Updated <time datetime="${options.at}">${options.at.slice(11, 19)} UTC</time>; read live from the warehouse (read-only).</p>
${options.results.map(({ view, rows }) =>
  figure({
    id: view.id,
    title: view.title,
    note: view.note(options.filters),
    chart: chartFor(view.id, view.title, view.chart, rows),
    table: dataTable({
      caption: `${view.title}: the numbers`,
      columns: view.columns,
      rows,
      id: `${view.id}-table`,
    }),
    actions: html`<p class="actions"><a class="button" href="/warehouse/${view.id}.csv?${query}" download="${view.id}.csv">Download CSV</a></p>`,
  }),
)}
${tables(options.stats)}`;
}
