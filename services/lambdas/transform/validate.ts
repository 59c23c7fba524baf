/**
 * Input validation: an ingestion manifest or table object that does not match the contract
 * (shared/lake/manifests.ts, spec §1) fails with a specific error class before anything is written.
 */
import {
  checkGeneration,
  generationOf,
  INGESTION_MANIFEST_FORMAT,
  INGESTION_TABLE_FORMAT,
  type IngestionManifest,
  type IngestionManifestObject,
  manifestKey,
  type SourceValue,
  unitPrefix,
} from '../../../shared/lake/index.ts';
import { isSourceTableName, SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';
import { isDecimal, isInt32, isTimestamp, KIND_DESCRIPTION } from '../../../shared/schema/value-kinds.ts';
import {
  BadManifestError,
  BadTableObjectError,
  MalformedJsonError,
  MissingColumnError,
  UnknownColumnError,
  UnknownTableError,
  WrongValueTypeError,
} from './errors.ts';

/** Rows re-ordered to the source table's canonical column order (SOURCE_TABLES[table].columns). */
export interface SourceTableRows {
  readonly table: SourceTableName;
  readonly part: number;
  readonly key: string;
  readonly rows: readonly (readonly SourceValue[])[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedJsonError(`${what} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** Checks the ingestion manifest read from `key`. */
export function validateManifest(raw: unknown, key: string): IngestionManifest {
  if (!isObject(raw)) throw new BadManifestError(`${key}: the manifest is not a JSON object`);
  if (raw.format !== INGESTION_MANIFEST_FORMAT) {
    throw new BadManifestError(
      `${key}: format is ${JSON.stringify(raw.format)}, expected ${JSON.stringify(INGESTION_MANIFEST_FORMAT)}`,
    );
  }
  const runId = raw.runId;
  if (typeof runId !== 'string' || runId === '') throw new BadManifestError(`${key}: runId is missing`);
  let prefix: string;
  try {
    prefix = unitPrefix(runId);
  } catch (error) {
    throw new BadManifestError(`${key}: ${(error as Error).message}`, { cause: error });
  }
  if (!key.startsWith(prefix)) {
    throw new BadManifestError(
      `${key}: the manifest's runId ${runId} does not match its key (expected ${prefix}…)`,
    );
  }
  if (typeof raw.extractedAt !== 'string') throw new BadManifestError(`${key}: extractedAt is missing`);
  const badGeneration = checkGeneration(raw.generation);
  if (badGeneration) throw new BadManifestError(`${key}: ${badGeneration}`);
  // A replay's manifest sits in its own generation's folder (its key names its generation).
  const generation = generationOf(raw as { generation?: number });
  if (generation > 1 && key !== manifestKey(runId, generation)) {
    throw new BadManifestError(
      `${key}: a manifest of generation ${generation} must be at ${manifestKey(runId, generation)}`,
    );
  }
  if (!Array.isArray(raw.objects)) throw new BadManifestError(`${key}: objects is not an array`);
  const seen = new Set<string>();
  raw.objects.forEach((entry, index) => {
    const where = `${key}: objects[${index}]`;
    if (!isObject(entry)) throw new BadManifestError(`${where} is not an object`);
    if (typeof entry.table !== 'string' || !isSourceTableName(entry.table)) {
      throw new UnknownTableError(`${where}: unknown source table ${JSON.stringify(entry.table)}`);
    }
    if (typeof entry.key !== 'string' || !entry.key.startsWith(prefix)) {
      throw new BadManifestError(
        `${where}: key ${JSON.stringify(entry.key)} is not inside the unit ${prefix}`,
      );
    }
    if (!Number.isInteger(entry.part) || (entry.part as number) < 1) {
      throw new BadManifestError(`${where}: part ${JSON.stringify(entry.part)} is not a positive integer`);
    }
    if (!Number.isInteger(entry.rows) || (entry.rows as number) < 0) {
      throw new BadManifestError(`${where}: rows ${JSON.stringify(entry.rows)} is not a count`);
    }
    if (seen.has(entry.key)) throw new BadManifestError(`${where}: key ${entry.key} is listed twice`);
    seen.add(entry.key);
  });
  return raw as unknown as IngestionManifest;
}

type SourceColumn = (typeof SOURCE_TABLES)[SourceTableName]['columns'][number];

function refuse(value: unknown, column: SourceColumn, key: string, row: number, expected: string): never {
  throw new WrongValueTypeError(
    `${key}: row ${row}: column ${column.name} (${column.type}) holds ${JSON.stringify(value)}, expected ${expected}`,
  );
}

/**
 * Checks one value of row `row` of the object at `key` against its source column and returns it
 * unchanged. No closure or text per value: the place is only worded when a value is refused.
 */
function checkValue(value: unknown, column: SourceColumn, key: string, row: number): SourceValue {
  if (value === null) {
    if (!column.nullable)
      throw new WrongValueTypeError(`${key}: row ${row}: null in NOT NULL column ${column.name}`);
    return null;
  }
  switch (column.type) {
    case 'int':
      return isInt32(value) ? value : refuse(value, column, key, row, KIND_DESCRIPTION.int);
    case 'numeric':
      return isDecimal(value) ? value : refuse(value, column, key, row, KIND_DESCRIPTION.decimal);
    case 'varchar':
      if (typeof value !== 'string') return refuse(value, column, key, row, 'a string');
      if (column.length !== undefined && value.length > column.length) {
        return refuse(value, column, key, row, `at most ${column.length} characters`);
      }
      return value;
    case 'timestamp':
      // The whole check (a real day, a valid time of day), so derivation can split it safely.
      // (value-kinds' `timestamp` kind, called directly: two per row of every table)
      return isTimestamp(value) ? value : refuse(value, column, key, row, KIND_DESCRIPTION.timestamp);
    case 'boolean':
      return typeof value === 'boolean' ? value : refuse(value, column, key, row, 'a boolean');
  }
}

/** What the envelope of a table object (all but its rows) says, checked. */
interface CheckedEnvelope {
  readonly table: (typeof SOURCE_TABLES)[SourceTableName];
  /** Columns as the object declares them, in its order. */
  readonly declared: readonly { readonly name: string; readonly type: unknown }[];
  /** Position in the object's rows of each canonical column. */
  readonly positions: readonly number[];
  /** The object's columns are in canonical order (the extract writes them so). */
  readonly canonical: boolean;
}

/**
 * Checks the envelope of a table object (format, table, run, part, columns) against the manifest
 * entry that named it and the source schema. A failure here fails the unit.
 */
function checkEnvelope(
  raw: Readonly<Record<string, unknown>>,
  entry: IngestionManifestObject,
  runId: string,
): CheckedEnvelope {
  const where = entry.key;
  if (raw.format !== INGESTION_TABLE_FORMAT) {
    throw new BadTableObjectError(
      `${where}: format is ${JSON.stringify(raw.format)}, expected ${JSON.stringify(INGESTION_TABLE_FORMAT)}`,
    );
  }
  if (typeof raw.table !== 'string' || !isSourceTableName(raw.table)) {
    throw new UnknownTableError(`${where}: unknown source table ${JSON.stringify(raw.table)}`);
  }
  if (raw.table !== entry.table) {
    throw new BadTableObjectError(`${where}: holds table ${raw.table}, the manifest says ${entry.table}`);
  }
  if (raw.runId !== runId) {
    throw new BadTableObjectError(
      `${where}: runId ${JSON.stringify(raw.runId)} differs from the manifest's ${runId}`,
    );
  }
  if (raw.part !== entry.part) {
    throw new BadTableObjectError(
      `${where}: part ${JSON.stringify(raw.part)}, the manifest says ${entry.part}`,
    );
  }
  const table = SOURCE_TABLES[raw.table];
  if (!Array.isArray(raw.columns)) throw new BadTableObjectError(`${where}: columns is not an array`);
  const declared = raw.columns.map((c, i) => {
    if (!isObject(c) || typeof c.name !== 'string') {
      throw new BadTableObjectError(`${where}: columns[${i}] has no name`);
    }
    return { name: c.name, type: c.type };
  });
  const names = new Set<string>();
  for (const column of declared) {
    const known = table.columns.find((c) => c.name === column.name);
    if (!known) {
      throw new UnknownColumnError(
        `${where}: table ${table.name} has no column ${JSON.stringify(column.name)}`,
      );
    }
    if (names.has(column.name))
      throw new UnknownColumnError(`${where}: column ${column.name} is listed twice`);
    names.add(column.name);
    if (column.type !== known.type) {
      throw new WrongValueTypeError(
        `${where}: column ${table.name}.${column.name} is declared ${JSON.stringify(column.type)}, the source type is ${known.type}`,
      );
    }
  }
  const missing = table.columns.filter((c) => !names.has(c.name)).map((c) => c.name);
  if (missing.length > 0) {
    throw new MissingColumnError(`${where}: table ${table.name} is missing column(s) ${missing.join(', ')}`);
  }
  const positions = table.columns.map((c) => declared.findIndex((d) => d.name === c.name));
  return { table, declared, positions, canonical: positions.every((position, c) => position === c) };
}

/**
 * Checks one table object against the manifest entry that named it and the source schema, and
 * returns its rows in the canonical column order. The object's shape (envelope, columns, row
 * arrays) is checked for the whole object: a failure there fails the unit.
 */
export function validateTableObject(
  raw: unknown,
  entry: IngestionManifestObject,
  runId: string,
  /**
   * Given, a row with a value its column does not allow is handed here (the whole row, column
   * name → value as written) instead of failing the object; without it, it fails the object.
   */
  onBadValue?: (row: Readonly<Record<string, unknown>>, error: WrongValueTypeError) => void,
): SourceTableRows {
  const where = entry.key;
  if (!isObject(raw)) throw new BadTableObjectError(`${where}: not a JSON object`);
  const { table, declared, positions, canonical } = checkEnvelope(raw, entry, runId);
  if (!Array.isArray(raw.rows)) throw new BadTableObjectError(`${where}: rows is not an array`);
  if (raw.rows.length !== entry.rows) {
    throw new BadManifestError(`${where}: holds ${raw.rows.length} rows, the manifest says ${entry.rows}`);
  }
  // The extract writes the canonical order: then each parsed row array is checked where it is and
  // kept as it is (checkValue returns the value unchanged), with no copy per row.
  const columns = table.columns;
  const width = declared.length;
  const input = raw.rows as unknown[];
  const rows: SourceValue[][] = canonical ? (input as SourceValue[][]) : new Array(input.length);
  /** Rows handed to `onBadValue` (left out below). */
  let held: Set<number> | undefined;
  for (let r = 0; r < input.length; r++) {
    const row = input[r];
    if (!Array.isArray(row) || row.length !== width) {
      throw new WrongValueTypeError(`${where}: row ${r} is not an array of ${width} values`);
    }
    // A value the source schema does not allow holds back this row only, when the caller keeps it.
    try {
      if (canonical) {
        for (let c = 0; c < columns.length; c++) checkValue(row[c], columns[c]!, where, r);
      } else {
        const ordered: SourceValue[] = new Array(columns.length);
        for (let c = 0; c < columns.length; c++)
          ordered[c] = checkValue(row[positions[c]!], columns[c]!, where, r);
        rows[r] = ordered;
      }
    } catch (error) {
      if (!onBadValue || !(error instanceof WrongValueTypeError)) throw error;
      onBadValue(Object.fromEntries(declared.map((d, i) => [d.name, row[i]])), error);
      held ??= new Set();
      held.add(r);
    }
  }
  const kept = held ? rows.filter((_, r) => !held.has(r)) : rows;
  return { table: table.name, part: entry.part, key: entry.key, rows: kept };
}
