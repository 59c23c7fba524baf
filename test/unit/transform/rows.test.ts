import { describe, expect, test } from '@jest/globals';
import { rowBuilder } from '../../../services/lambdas/transform/rows.ts';
import { WAREHOUSE_SPECS } from '../../../shared/schema/warehouse/index.ts';

describe('rowBuilder: a row the caller did not give', () => {
  test('buildRow of a joined dimension without its partner names the missing source row', () => {
    const builder = rowBuilder(WAREHOUSE_SPECS.dim_counterparty);
    const counterparty = [
      7,
      'Acme',
      3,
      'commercial',
      'Ann',
      '2024-01-01 00:00:00.000',
      '2024-01-01 00:00:00.000',
    ];
    expect(() =>
      builder.buildRow(counterparty, 'unit part 1: counterparty 7', '2024-01-01 00:00:00.000'),
    ).toThrow(
      'unit part 1: counterparty 7: dim_counterparty.counterparty_legal_address_line_1 needs a address row',
    );
  });

  test('build of a fact without its own source row names it', () => {
    for (const table of ['fact_sales_order', 'fact_purchase_order', 'fact_payment'] as const) {
      expect(() => rowBuilder(WAREHOUSE_SPECS[table]).build({}, 'here')).toThrow(
        new RegExp(`^here: ${table}\\.\\w+ needs a ${WAREHOUSE_SPECS[table].source} row$`),
      );
    }
  });
});
