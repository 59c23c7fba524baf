/**
 * Charts drawn on the server as inline SVG: no client library, nothing to download or build,
 * painted with the page. Geometry only uses numbers; the figures people read come from the table
 * every chart is rendered with (pages/chart-figure.ts). Each mark carries `data-label` and
 * `data-value` (the exact text), so a test can compare the drawing with the database.
 */
import { html, type SafeHtml, trusted } from './html.ts';

export interface Series {
  readonly name: string;
  /** Exact values as text (decimals stay decimals), one per category; null: no value. */
  readonly values: readonly (string | null)[];
}

const WIDTH = 760;
const fmt = (n: number) => (Math.round(n * 10) / 10).toString();

/** A "nice" upper bound for the axis (1, 2, 2.5 or 5 times a power of ten). */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (max <= step * power) return step * power;
  return 10 * power;
}

const compact = (n: number) =>
  new Intl.NumberFormat('en-GB', { notation: 'compact', maximumFractionDigits: 1 }).format(n);

function gridlines(max: number, left: number, top: number, plotHeight: number, right: number): SafeHtml[] {
  const marks: SafeHtml[] = [];
  for (let i = 0; i <= 4; i++) {
    const value = (max * i) / 4;
    const y = top + plotHeight - (plotHeight * i) / 4;
    marks.push(
      html`<line class="grid" x1="${fmt(left)}" x2="${fmt(right)}" y1="${fmt(y)}" y2="${fmt(y)}"></line><text class="axis" x="${fmt(left - 6)}" y="${fmt(y + 4)}" text-anchor="end">${compact(value)}</text>`,
    );
  }
  return marks;
}

function legend(series: readonly Series[], y: number): SafeHtml[] {
  return series.map(
    (s, i) =>
      html`<rect class="series-${i % 4}" x="${70 + i * 150}" y="${y}" width="12" height="12"></rect><text class="legend" x="${88 + i * 150}" y="${y + 11}">${s.name}</text>`,
  );
}

/** Horizontal bars for ranked categories (top designs, counterparties, cities). */
export function barChart(options: {
  readonly id: string;
  readonly title: string;
  readonly labels: readonly string[];
  readonly values: readonly string[];
}): SafeHtml {
  const bar = 20;
  const gap = 6;
  const left = 230;
  const top = 10;
  const height = top + options.labels.length * (bar + gap) + 24;
  const max = niceMax(Math.max(0, ...options.values.map(Number)));
  const plotWidth = WIDTH - left - 60;
  const bars = options.labels.map((label, i) => {
    const value = options.values[i] ?? '0';
    const w = (plotWidth * Math.max(0, Number(value))) / max;
    const y = top + i * (bar + gap);
    const shown = label.length > 32 ? `${label.slice(0, 31)}…` : label;
    return html`<text class="axis" x="${left - 8}" y="${fmt(y + bar * 0.7)}" text-anchor="end">${shown}</text><rect class="series-0 mark" x="${left}" y="${fmt(y)}" width="${fmt(w)}" height="${bar}" data-label="${label}" data-value="${value}"><title>${label}: ${value}</title></rect><text class="value" x="${fmt(left + w + 4)}" y="${fmt(y + bar * 0.7)}">${compact(Number(value))}</text>`;
  });
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${options.id}-title"><title id="${options.id}-title">${options.title}</title>${bars}<text class="axis" x="${left}" y="${height - 6}">0</text><text class="axis" x="${left + plotWidth}" y="${height - 6}" text-anchor="end">${compact(max)}</text></svg>`;
}

/**
 * Categories along x (months, minutes) with one or more series: columns side by side when
 * `kind` is 'columns', lines with points when 'lines' (long time series).
 */
export function seriesChart(options: {
  readonly id: string;
  readonly title: string;
  readonly categories: readonly string[];
  readonly series: readonly Series[];
  readonly kind: 'columns' | 'lines';
  /** Show every n-th category label (default: about 12 labels). */
  readonly labelEvery?: number;
}): SafeHtml {
  const left = 60;
  const right = WIDTH - 16;
  const top = 12;
  const plotHeight = 190;
  const legendY = top + plotHeight + 34;
  const height = legendY + 22;
  const n = Math.max(1, options.categories.length);
  const all = options.series.flatMap((s) => s.values.map((v) => Number(v ?? 0)));
  const max = niceMax(Math.max(0, ...all));
  const step = (right - left) / n;
  const every = options.labelEvery ?? Math.max(1, Math.ceil(n / 12));
  const y = (v: number) => top + plotHeight - (plotHeight * Math.max(0, v)) / max;
  const marks: SafeHtml[] = [];
  options.series.forEach((s, si) => {
    if (options.kind === 'columns') {
      const w = Math.max(1, (step * 0.8) / options.series.length);
      s.values.forEach((v, i) => {
        if (v === null) return;
        const x = left + i * step + step * 0.1 + si * w;
        marks.push(
          html`<rect class="series-${si % 4} mark" x="${fmt(x)}" y="${fmt(y(Number(v)))}" width="${fmt(w)}" height="${fmt(top + plotHeight - y(Number(v)))}" data-series="${s.name}" data-label="${options.categories[i] ?? ''}" data-value="${v}"><title>${s.name}, ${options.categories[i] ?? ''}: ${v}</title></rect>`,
        );
      });
      return;
    }
    const points = s.values
      .map((v, i) => (v === null ? null : [left + (i + 0.5) * step, y(Number(v))]))
      .filter((p): p is number[] => p !== null);
    if (points.length > 1) {
      marks.push(
        html`<polyline class="line series-${si % 4}" points="${points.map(([px, py]) => `${fmt(px ?? 0)},${fmt(py ?? 0)}`).join(' ')}"></polyline>`,
      );
    }
    s.values.forEach((v, i) => {
      if (v === null) return;
      marks.push(
        html`<circle class="series-${si % 4} mark" cx="${fmt(left + (i + 0.5) * step)}" cy="${fmt(y(Number(v)))}" r="3" data-series="${s.name}" data-label="${options.categories[i] ?? ''}" data-value="${v}"><title>${s.name}, ${options.categories[i] ?? ''}: ${v}</title></circle>`,
      );
    });
  });
  const labels = options.categories.map((c, i) =>
    i % every === 0
      ? html`<text class="axis" x="${fmt(left + (i + 0.5) * step)}" y="${top + plotHeight + 16}" text-anchor="middle">${c}</text>`
      : trusted(''),
  );
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${options.id}-title"><title id="${options.id}-title">${options.title}</title>${gridlines(max, left, top, plotHeight, right)}${marks}${labels}${options.series.length > 1 ? legend(options.series, legendY) : ''}</svg>`;
}
