import type { QueryResult } from './run-query.ts';

/** A cell as text: null as empty in CSV and as NULL in the table, objects as JSON. */
function cell(value: unknown, nullText: string): string {
  if (value === null || value === undefined) return nullText;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
export function renderCsv(result: QueryResult): string {
  const field = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  const lines = [result.columns.map(field).join(',')];
  for (const row of result.rows) lines.push(result.columns.map((c) => field(cell(row[c], ''))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Aligned columns, numbers to the right; control characters shown escaped, never sent to the terminal. */
export function renderTable(result: QueryResult): string {
  const printable = (text: string) =>
    [...text]
      .map((c) => {
        const code = c.charCodeAt(0);
        const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
        return control ? `\\u${code.toString(16).padStart(4, '0')}` : c;
      })
      .join('');
  const cells = result.rows.map((row) => result.columns.map((c) => printable(cell(row[c], 'NULL'))));
  const numeric = result.columns.map(
    (_, i) => cells.length > 0 && cells.every((r) => /^-?\d+(\.\d+)?$|^NULL$/.test(r[i] ?? '')),
  );
  const widths = result.columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [line(result.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)];
  out.push(`(${result.rows.length} ${result.rows.length === 1 ? 'row' : 'rows'})`);
  return `${out.join('\n')}\n`;
}
