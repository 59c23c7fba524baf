/** Pieces every page uses: tables, figures (a chart with its numbers as a table), numbers. */
import type { CsvColumn } from '../csv.ts';
import { html, type SafeHtml } from '../html.ts';

export const int = (n: number | null | undefined) =>
  n === null || n === undefined ? '–' : n.toLocaleString('en-GB');

/** Exact decimal text with thousands separators, digits untouched (no float on the way). */
export function decimal(value: unknown): string {
  if (value === null || value === undefined) return '–';
  const text = String(value);
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(text);
  if (!match) return text;
  return `${match[1]}${(match[2] ?? '').replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${match[3] ?? ''}`;
}

export function seconds(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (value < 120) return `${value} s`;
  if (value < 7200) return `${Math.round(value / 60)} min`;
  return `${Math.round(value / 360) / 10} h`;
}

export function cellText(value: unknown, kind: CsvColumn['kind']): string {
  if (value === null || value === undefined) return '–';
  if (kind === 'int') return int(Number(value));
  if (kind === 'decimal') return decimal(value);
  return String(value);
}

/** A table of rows by columns; numbers right-aligned; each cell keeps its exact value in data-value. */
export function dataTable(options: {
  readonly caption: string;
  readonly columns: readonly CsvColumn[];
  readonly rows: readonly Readonly<Record<string, unknown>>[];
  readonly id?: string;
}): SafeHtml {
  if (options.rows.length === 0) {
    return html`<p class="empty">${options.caption}: no rows.</p>`;
  }
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label="${options.caption}"><table${options.id ? html` id="${options.id}"` : ''}>
<caption>${options.caption}</caption>
<thead><tr>${options.columns.map((c) => html`<th scope="col" class="${c.kind === 'text' ? '' : 'num'}">${c.label}</th>`)}</tr></thead>
<tbody>${options.rows.map(
    (row) =>
      html`<tr>${options.columns.map(
        (c) =>
          html`<td class="${c.kind === 'text' ? '' : 'num'}" data-key="${c.key}" data-value="${row[c.key] === null || row[c.key] === undefined ? '' : String(row[c.key])}">${cellText(row[c.key], c.kind)}</td>`,
      )}</tr>`,
  )}</tbody>
</table></div>`;
}

/**
 * A titled part of a page: an h2 that names the section for screen readers (aria-labelledby).
 * `anchor` also gives the section the id (a link target, `#id`); `count` follows the title.
 */
export function section(options: {
  readonly id: string;
  readonly title: string;
  readonly count?: string;
  readonly anchor?: boolean;
  readonly className?: string;
  readonly body: SafeHtml;
}): SafeHtml {
  const attributes = html`${options.className ? html` class="${options.className}"` : ''}${options.anchor ? html` id="${options.id}"` : ''}`;
  return html`<section${attributes} aria-labelledby="${options.id}-heading">
<h2 id="${options.id}-heading">${options.title}${options.count === undefined ? '' : html` <span class="count">${options.count}</span>`}</h2>
${options.body}
</section>`;
}

/** A chart and the same numbers as a table (for screen readers, and to read exact values). */
export function figure(options: {
  readonly id: string;
  readonly title: string;
  readonly note?: string;
  readonly chart: SafeHtml | null;
  readonly table: SafeHtml;
  readonly actions?: SafeHtml;
}): SafeHtml {
  return section({
    id: options.id,
    title: options.title,
    anchor: true,
    className: 'figure',
    body: html`${options.note ? html`<p class="note">${options.note}</p>` : ''}
${options.actions ?? ''}
<div class="figure-body">${options.chart ? html`<div class="chart-box">${options.chart}</div>` : ''}${options.table}</div>`,
  });
}

export function problems(list: readonly string[]): SafeHtml {
  if (list.length === 0) return html``;
  return html`<div class="problems" role="alert"><p>Some parts could not be read just now (the rest is current):</p><ul>${list.map((p) => html`<li>${p}</li>`)}</ul></div>`;
}
