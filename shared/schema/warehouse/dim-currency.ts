import { columns, derived, from, int, type TableSpec, varchar } from './spec.ts';

export const dim_currency: TableSpec<'dim_currency'> = {
  name: 'dim_currency',
  role: 'dimension',
  source: 'currency',
  columns: columns({
    currency_id: int(from('currency_id'), { key: 'primary' }),
    currency_code: varchar(from('currency_code')),
    currency_name: varchar(derived("CLDR's English name of currency_code (GBP → British Pound)")),
  }),
};
