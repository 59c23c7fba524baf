import { rowsWritten } from '../../../services/tools/local-runtime/run-once.ts';

describe('the run summary: rows written to Parquet', () => {
  it('counts a shared dimension object once however many parts of a split unit list it', () => {
    // A unit split in four: every part lists the same dim_design object (4,720 rows) and its own facts.
    const shared = { table: 'dim_design' as const, key: 'units/x/dim_design.0001.parquet', rows: 4720 };
    const parts = [1, 2, 3, 4].map((n) => ({
      objects: [
        shared,
        { table: 'fact_sales_order' as const, key: `units/x/part-${n}/fact.parquet`, rows: 100 },
      ],
    }));
    expect(rowsWritten(parts)).toEqual({ dim_design: 4720, fact_sales_order: 400 });
  });

  it('adds up distinct objects of the same table', () => {
    expect(
      rowsWritten([
        {
          objects: [
            { table: 'dim_date', key: 'a', rows: 3 },
            { table: 'dim_date', key: 'b', rows: 4 },
          ],
        },
      ]),
    ).toEqual({ dim_date: 7 });
  });
});
