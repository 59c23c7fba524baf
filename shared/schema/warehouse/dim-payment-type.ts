import { columns, from, int, type TableSpec, varchar } from './spec.ts';

export const dim_payment_type: TableSpec<'dim_payment_type'> = {
  name: 'dim_payment_type',
  role: 'dimension',
  source: 'payment_type',
  columns: columns({
    payment_type_id: int(from('payment_type_id'), { key: 'primary' }),
    payment_type_name: varchar(from('payment_type_name')),
  }),
};
