import { type CommonQueryMethods, sql } from 'slonik';
import { z } from 'zod';
import { PIPELINE_SCHEMA } from '../../../../shared/schema/warehouse.ts';
import type { ThroughputPoint } from './pipeline-view.ts';

/**
 * Units and rows (inserted + updated) the load applied per minute over the last hour, from the
 * load ledger (one row per applied unit, `rows` = table → {received, inserted, updated}); every
 * minute is present, quiet ones with zeros.
 */
export async function loadThroughput(connection: CommonQueryMethods): Promise<ThroughputPoint[]> {
  const ledger = sql.identifier([PIPELINE_SCHEMA, 'load_ledger']);
  const rows = await connection.any(sql.type(
    z.object({ minute: z.string(), units: z.number(), rows: z.number() }),
  )`
    WITH minutes AS (
      SELECT generate_series(date_trunc('minute', now()) - interval '59 minutes', date_trunc('minute', now()), interval '1 minute') AS minute
    ), applied AS (
      SELECT date_trunc('minute', l."applied_at") AS minute,
             count(*) AS units,
             coalesce(sum((SELECT coalesce(sum(coalesce((t.value->>'inserted')::int, 0) + coalesce((t.value->>'updated')::int, 0)), 0)
                           FROM jsonb_each(l."rows") t)), 0) AS rows
      FROM ${ledger} l
      WHERE l."applied_at" >= date_trunc('minute', now()) - interval '59 minutes'
      GROUP BY 1
    )
    SELECT to_char(m.minute AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS minute,
           coalesce(a.units, 0)::int AS units, coalesce(a.rows, 0)::int AS rows
    FROM minutes m LEFT JOIN applied a USING (minute)
    ORDER BY m.minute`);
  return [...rows];
}

/** Units, rows inserted and rows updated in the last hour. */
export async function lastHourTotals(
  connection: CommonQueryMethods,
): Promise<{ readonly units: number; readonly inserted: number; readonly updated: number }> {
  const ledger = sql.identifier([PIPELINE_SCHEMA, 'load_ledger']);
  return connection.one(sql.type(z.object({ units: z.number(), inserted: z.number(), updated: z.number() }))`
    SELECT count(DISTINCT l."unit_id")::int AS units,
           coalesce(sum(coalesce((t.value->>'inserted')::int, 0)), 0)::int AS inserted,
           coalesce(sum(coalesce((t.value->>'updated')::int, 0)), 0)::int AS updated
    FROM ${ledger} l LEFT JOIN LATERAL jsonb_each(l."rows") t ON true
    WHERE l."applied_at" >= now() - interval '1 hour'`);
}
