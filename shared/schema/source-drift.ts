/**
 * Schema drift of the totesys source: what the source's catalog says (columns of the eleven
 * tables, and the other tables beside them) against what the pipeline knows (SOURCE_TABLES).
 * Pure: the extract (services/lambdas/extract/source-schema.ts) and `totes doctor` feed it the
 * catalog rows they read and act on the findings.
 *
 * The rule for a type change: it is COMPATIBLE when every value the source column can now hold is
 * still carried exactly by the pipeline as it is (same JSON value, same Parquet type, same
 * warehouse column); otherwise INCOMPATIBLE.
 * - varchar: varchar(m) for any m, unbounded varchar and text are compatible (values are strings,
 *   the lake and the warehouse hold them unbounded; varchar(3) → varchar(5) is a widening).
 *   char(n) is not (values come back blank-padded).
 * - int (32-bit): smallint and int are compatible; bigint is NOT (a value above 2^31 − 1 could not
 *   be carried: the transform checks 32-bit integers and the warehouse columns are int).
 * - numeric: numeric with any precision and scale is compatible (carried as exact decimal text).
 * - timestamp(3) without time zone: timestamp(p) with p ≤ 3 is compatible; more fraction digits
 *   (timestamp(6), the PostgreSQL default) are not (versions within one millisecond would collide,
 *   the watermark is in milliseconds), and timestamptz is not (its text depends on the session).
 * - boolean: only boolean.
 * - a column the pipeline requires (NOT NULL in the spec) that became nullable is incompatible (a
 *   NULL could not be carried); the reverse (nullable → NOT NULL) is no drift at all.
 *
 * A new table or a new column is compatible drift: the extract reads known columns by name, so the
 * run goes on with the known columns. A missing table or column is incompatible; a missing column
 * with a new, type-compatible column at the same position is reported once, as a rename.
 */
import { SOURCE_TABLE_NAMES, SOURCE_TABLES, type SourceColumn, type SourceTableName } from './totesys.ts';

/** Tables of the real totesys that the pipeline ignores on purpose (not drift). */
export const IGNORED_SOURCE_TABLES: readonly string[] = ['_prisma_migrations'];

/** One column as the source's catalog describes it (pg_attribute / pg_type). */
export interface ObservedColumn {
  readonly table: string;
  readonly column: string;
  /** Position among the table's live columns, from 1 (dropped columns do not count). */
  readonly position: number;
  /** pg_type.typname of the column (of a domain's base type): int4, varchar, numeric, … */
  readonly typeName: string;
  /** format_type(): 'character varying(3)', 'timestamp(3) without time zone', … (for messages). */
  readonly typeText: string;
  readonly nullable: boolean;
  /** varchar / char length, null when unbounded. */
  readonly maxLength: number | null;
  /** Fraction digits of a timestamp column (6 when unspecified), null otherwise. */
  readonly fractionDigits: number | null;
}

/** What the catalog says about the source: its columns and the ordinary tables beside them. */
export interface ObservedSchema {
  /** Ordinary tables (and partitioned tables) in the schema of the known tables. */
  readonly tables: readonly string[];
  /** Columns of every table in `tables`. */
  readonly columns: readonly ObservedColumn[];
}

export type DriftKind =
  | 'new-table'
  | 'new-column'
  | 'compatible-type'
  | 'missing-table'
  | 'missing-column'
  | 'renamed-column'
  | 'incompatible-type'
  | 'now-nullable';

export const COMPATIBLE_DRIFT: readonly DriftKind[] = ['new-table', 'new-column', 'compatible-type'];

export interface DriftFinding {
  readonly kind: DriftKind;
  /** True when the run can go on with the known columns. */
  readonly compatible: boolean;
  readonly table: string;
  /** Null for a table-level finding. */
  readonly column: string | null;
  /** `table.column` (or `table`): what the log and the error name. */
  readonly subject: string;
  /** What changed, in one sentence. */
  readonly detail: string;
  /** What to do about it. */
  readonly action: string;
}

const TEACH =
  'to carry it, add it to shared/schema/totesys.ts (and the transform, the warehouse spec and a migration)';

/** The pipeline's type, as the catalog would print it. */
export function knownTypeText(column: SourceColumn): string {
  switch (column.type) {
    case 'int':
      return 'integer';
    case 'varchar':
      return column.length === undefined ? 'character varying' : `character varying(${column.length})`;
    case 'numeric':
      return 'numeric';
    case 'timestamp':
      return 'timestamp(3) without time zone';
    case 'boolean':
      return 'boolean';
  }
}

/** Null when the observed type carries every value the pipeline needs; else why not. */
export function typeIncompatibility(known: SourceColumn, observed: ObservedColumn): string | null {
  const t = observed.typeName;
  switch (known.type) {
    case 'int':
      if (t === 'int2' || t === 'int4') return null;
      if (t === 'int8')
        return 'a bigint value above 2^31 − 1 cannot be carried (the pipeline carries 32-bit int)';
      return `the pipeline reads a 32-bit int, the source now has ${observed.typeText}`;
    case 'varchar':
      if (t === 'varchar' || t === 'text') return null;
      if (t === 'bpchar') return 'char(n) values come back blank-padded';
      return `the pipeline reads text, the source now has ${observed.typeText}`;
    case 'numeric':
      return t === 'numeric'
        ? null
        : `the pipeline reads an exact decimal, the source now has ${observed.typeText}`;
    case 'timestamp':
      if (t === 'timestamp') {
        return (observed.fractionDigits ?? 6) <= 3
          ? null
          : `${observed.typeText} has more than the 3 fraction digits the pipeline keeps (versions within one millisecond would collide)`;
      }
      if (t === 'timestamptz')
        return 'timestamp with time zone renders in the session time zone, not UTC wall clock';
      return `the pipeline reads a timestamp, the source now has ${observed.typeText}`;
    case 'boolean':
      return t === 'bool' ? null : `the pipeline reads a boolean, the source now has ${observed.typeText}`;
  }
}

/** The observed type differs from the known one at all (same family and bounds is no drift). */
function sameType(known: SourceColumn, observed: ObservedColumn): boolean {
  switch (known.type) {
    case 'int':
      return observed.typeName === 'int4';
    case 'varchar':
      return observed.typeName === 'varchar' && (observed.maxLength ?? undefined) === known.length;
    case 'numeric':
      return observed.typeName === 'numeric' && observed.typeText === 'numeric';
    case 'timestamp':
      return observed.typeName === 'timestamp' && observed.fractionDigits === 3;
    case 'boolean':
      return observed.typeName === 'bool';
  }
}

function finding(
  kind: DriftKind,
  table: string,
  column: string | null,
  detail: string,
  action: string,
): DriftFinding {
  return {
    kind,
    compatible: COMPATIBLE_DRIFT.includes(kind),
    table,
    column,
    subject: column === null ? table : `${table}.${column}`,
    detail,
    action,
  };
}

function compareTable(name: SourceTableName, observed: readonly ObservedColumn[]): DriftFinding[] {
  const known = SOURCE_TABLES[name].columns;
  const byName = new Map(observed.map((c) => [c.column, c]));
  const knownNames = new Set(known.map((c) => c.name));
  const added = observed.filter((c) => !knownNames.has(c.column));
  const renamedTo = new Set<string>();
  const findings: DriftFinding[] = [];

  known.forEach((column, index) => {
    const seen = byName.get(column.name);
    if (!seen) {
      // RENAME COLUMN keeps the column's position: a new name at the known position is a rename.
      const candidate = added.find((c) => c.position === index + 1 && !renamedTo.has(c.column));
      if (candidate && typeIncompatibility(column, candidate) === null) {
        renamedTo.add(candidate.column);
        findings.push(
          finding(
            'renamed-column',
            name,
            column.name,
            `column ${name}.${column.name} is missing and ${name}.${candidate.column} stands at its position (renamed?)`,
            `rename it back in the source (ALTER TABLE ${name} RENAME COLUMN ${candidate.column} TO ${column.name}), or teach the pipeline the new name in shared/schema/totesys.ts`,
          ),
        );
        return;
      }
      findings.push(
        finding(
          'missing-column',
          name,
          column.name,
          `column ${name}.${column.name} (${knownTypeText(column)}) is missing from the source`,
          `restore the column in the source, or remove it from the pipeline (shared/schema/totesys.ts, transform, warehouse)`,
        ),
      );
      return;
    }
    const why = typeIncompatibility(column, seen);
    if (why !== null) {
      findings.push(
        finding(
          'incompatible-type',
          name,
          column.name,
          `${name}.${column.name} is ${seen.typeText}, the pipeline expects ${knownTypeText(column)}: ${why}`,
          `change the column back to ${knownTypeText(column)} in the source, or widen the pipeline's type first (shared/schema/totesys.ts, transform, warehouse migration)`,
        ),
      );
      return;
    }
    if (!column.nullable && seen.nullable) {
      findings.push(
        finding(
          'now-nullable',
          name,
          column.name,
          `${name}.${column.name} is now nullable; the pipeline requires a value`,
          `restore NOT NULL in the source (ALTER TABLE ${name} ALTER COLUMN ${column.name} SET NOT NULL), or make the column nullable in the pipeline (shared/schema/totesys.ts, warehouse)`,
        ),
      );
      return;
    }
    if (!sameType(column, seen)) {
      findings.push(
        finding(
          'compatible-type',
          name,
          column.name,
          `${name}.${column.name} changed from ${knownTypeText(column)} to ${seen.typeText}, which the pipeline still carries exactly`,
          `nothing is lost; record the new type in shared/schema/totesys.ts (and the spec) to clear the drift`,
        ),
      );
    }
  });
  for (const column of added) {
    if (renamedTo.has(column.column)) continue;
    findings.push(
      finding(
        'new-column',
        name,
        column.column,
        `new column ${name}.${column.column} (${column.typeText}) is not read by the pipeline`,
        `the run goes on with the known columns; ${TEACH}`,
      ),
    );
  }
  return findings;
}

/** Every difference between the source and the pipeline's knowledge, known tables first. */
export function compareSourceSchema(observed: ObservedSchema): DriftFinding[] {
  const columnsByTable = new Map<string, ObservedColumn[]>();
  for (const column of observed.columns) {
    const list = columnsByTable.get(column.table) ?? [];
    list.push(column);
    columnsByTable.set(column.table, list);
  }
  const present = new Set(observed.tables);
  const known = new Set<string>([...SOURCE_TABLE_NAMES, ...IGNORED_SOURCE_TABLES]);
  const unknownTables = [...present].filter((t) => !known.has(t)).sort();
  const renamedTables = new Set<string>();
  const findings: DriftFinding[] = [];
  for (const table of SOURCE_TABLE_NAMES) {
    if (!present.has(table)) {
      // A new table holding every known column of the missing one: most likely a rename.
      const names = SOURCE_TABLES[table].columns.map((c) => c.name);
      const renamed = unknownTables.find(
        (t) =>
          !renamedTables.has(t) &&
          names.every((n) => (columnsByTable.get(t) ?? []).some((c) => c.column === n)),
      );
      if (renamed) renamedTables.add(renamed);
      findings.push(
        finding(
          'missing-table',
          table,
          null,
          renamed
            ? `table ${table} is missing from the source, and ${renamed} has its columns (renamed?)`
            : `table ${table} is missing from the source (or renamed)`,
          renamed
            ? `rename it back (ALTER TABLE ${renamed} RENAME TO ${table}), or teach the pipeline the new name in shared/schema/totesys.ts`
            : `restore the table, or point the extract at the right database (TOTESYS_URL / the totesys secret)`,
        ),
      );
      continue;
    }
    const columns = [...(columnsByTable.get(table) ?? [])].sort((a, b) => a.position - b.position);
    findings.push(...compareTable(table, columns));
  }
  for (const table of unknownTables.filter((t) => !renamedTables.has(t))) {
    findings.push(
      finding(
        'new-table',
        table,
        null,
        `new table ${table} is not read by the pipeline`,
        `the run goes on without it; ${TEACH.replace('add it to', 'add the table to')}`,
      ),
    );
  }
  return findings;
}

/** One line naming every finding: `table.column: detail`. */
export function describeFindings(findings: readonly DriftFinding[]): string {
  return findings.map((f) => `${f.subject}: ${f.detail}`).join('; ');
}
