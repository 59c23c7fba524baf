/**
 * RFC 4180 CSV for the warehouse views' downloads. A text cell that a spreadsheet would run as a
 * formula (=, +, -, @, tab, CR at the start) is prefixed with a quote mark: counterparty names
 * come from the source and can hold anything. Numbers are written as the database gave them.
 */

export interface CsvColumn {
  readonly key: string;
  readonly label: string;
  readonly kind: 'text' | 'int' | 'decimal';
}

function cell(value: unknown, kind: CsvColumn['kind']): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (kind === 'text' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(columns: readonly CsvColumn[], rows: readonly Record<string, unknown>[]): string {
  const lines = [columns.map((c) => cell(c.label, 'text')).join(',')];
  for (const row of rows) lines.push(columns.map((c) => cell(row[c.key], c.kind)).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
