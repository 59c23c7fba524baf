/**
 * The extract over the generator's data: a seeded totesys, then `simulateEvents` changes. The next
 * unit must hold exactly the changed versions, plus join partners that are each required by some
 * row of the unit, and nothing in it may reference a row it lacks (self-contained units).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { sql } from 'slonik';
import { FORWARD_REFERENCES, REVERSE_REFERENCES } from '../../../services/lambdas/extract/join-partners.ts';
import { type ExtractDeps, runExtract } from '../../../services/lambdas/extract/run-extract.ts';
import { seedSource } from '../../../services/tools/simulator/seed.ts';
import { simulateEvents } from '../../../services/tools/simulator/simulate.ts';
import { SOURCE_TABLE_NAMES, SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { type LocalAws, type ReadUnit, readUnit, startAws } from './support.ts';

const silent = new Logger({ logLevel: 'SILENT' });

/** Every (table, id, last_updated) version in the source. */
async function versions(db: TestDatabase): Promise<Set<string>> {
  const all = new Set<string>();
  for (const table of SOURCE_TABLE_NAMES) {
    const pk = sql.identifier([SOURCE_TABLES[table].primaryKey]);
    const rows = await db.pool.any(
      sql.unsafe`SELECT ${pk} AS id, to_char(last_updated, 'YYYY-MM-DD HH24:MI:SS.MS') AS lu FROM ${sql.identifier([table])}`,
    );
    for (const r of rows as readonly { id: number; lu: string }[]) all.add(`${table}|${r.id}|${r.lu}`);
  }
  return all;
}

function unitVersions(unit: ReadUnit): Map<string, { table: SourceTableName; row: Record<string, unknown> }> {
  const result = new Map<string, { table: SourceTableName; row: Record<string, unknown> }>();
  for (const [table, rows] of unit.tables) {
    for (const row of rows) {
      result.set(`${table}|${row[SOURCE_TABLES[table].primaryKey]}|${row.last_updated}`, { table, row });
    }
  }
  return result;
}

describe('extract over generated data (seedSource + simulateEvents)', () => {
  let db: TestDatabase;
  let aws: LocalAws;
  let deps: ExtractDeps;

  beforeAll(async () => {
    db = await createTestDatabase('extract_sim');
    aws = await startAws();
    deps = {
      pool: db.pool,
      s3: aws.s3,
      dynamo: aws.dynamo,
      bucket: aws.bucket,
      stateTable: aws.stateTable,
      logger: silent,
    };
  });
  afterAll(async () => {
    await aws.stop();
    await db.drop();
  });

  it('first run carries every row; after simulated events, exactly the changed versions plus required partners', async () => {
    const seeded = await seedSource(db.pool, { scale: 0.05, seed: 7 });
    const first = await runExtract(deps, { partSize: 500 });
    if (first.status !== 'extracted') throw new Error(first.status);
    for (const table of SOURCE_TABLE_NAMES) {
      expect([table, first.manifest.changedRows[table] ?? 0]).toEqual([table, seeded.counts[table]]);
    }

    const before = await versions(db);
    const counts = await simulateEvents(db.pool, { events: 60, seed: 11 });
    expect(counts.events).toBe(60);
    const after = await versions(db);
    const changed = new Set([...after].filter((v) => !before.has(v)));
    expect(changed.size).toBeGreaterThan(0);

    const next = await runExtract(deps, { partSize: 500 });
    if (next.status !== 'extracted') throw new Error(next.status);
    const unit = await readUnit(aws, next.manifestKey);
    const inUnit = unitVersions(unit);

    // Every changed version is in the unit, and the manifest counts exactly those as changed.
    for (const v of changed) expect([v, inUnit.has(v)]).toEqual([v, true]);
    const changedPerTable: Partial<Record<SourceTableName, number>> = {};
    for (const v of changed) {
      const table = v.split('|')[0] as SourceTableName;
      changedPerTable[table] = (changedPerTable[table] ?? 0) + 1;
    }
    expect(next.manifest.changedRows).toEqual(changedPerTable);

    // Each table holds one row per id.
    for (const [table, rows] of unit.tables) {
      const pk = SOURCE_TABLES[table].primaryKey;
      expect([table, new Set(rows.map((r) => r[pk])).size]).toEqual([table, rows.length]);
    }

    // Self-contained: every reference resolves inside the unit.
    const has = (table: SourceTableName, id: unknown) =>
      (unit.tables.get(table) ?? []).some((r) => r[SOURCE_TABLES[table].primaryKey] === id);
    const required = new Set<string>();
    for (const [table, rows] of unit.tables) {
      for (const row of rows) {
        for (const ref of FORWARD_REFERENCES.filter((r) => r.table === table)) {
          const id = row[ref.column];
          if (id === null) continue;
          expect([`${table}.${ref.column}=${id}`, has(ref.target, id)]).toEqual([
            `${table}.${ref.column}=${id}`,
            true,
          ]);
          required.add(`${ref.target}|${id}`);
        }
      }
    }
    // …and the counterparties / staff of changed addresses / departments are there.
    for (const rule of REVERSE_REFERENCES) {
      const changedIds = [...changed]
        .filter((v) => v.startsWith(`${rule.changed}|`))
        .map((v) => Number(v.split('|')[1]));
      if (changedIds.length === 0) continue;
      const dependants = await db.pool.anyFirst(
        sql.unsafe`SELECT ${sql.identifier([SOURCE_TABLES[rule.table].primaryKey])} FROM ${sql.identifier([rule.table])}
          WHERE ${sql.identifier([rule.column])} = ANY(${sql.array(changedIds, 'int4')})`,
      );
      for (const id of dependants) {
        expect([`${rule.table}|${id}`, has(rule.table, id)]).toEqual([`${rule.table}|${id}`, true]);
        required.add(`${rule.table}|${id}`);
      }
    }
    // Nothing else: every unchanged row in the unit is some row's partner.
    for (const [key, { table, row }] of inUnit) {
      if (changed.has(key)) continue;
      const id = `${table}|${row[SOURCE_TABLES[table].primaryKey]}`;
      expect([key, required.has(id)]).toEqual([key, true]);
    }

    // And a further run, with nothing new, writes no unit.
    expect((await runExtract(deps)).status).toBe('unchanged');
  });
});
