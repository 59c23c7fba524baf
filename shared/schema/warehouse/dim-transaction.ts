import { columns, from, int, type TableSpec, varchar } from './spec.ts';

export const dim_transaction: TableSpec<'dim_transaction'> = {
  name: 'dim_transaction',
  role: 'dimension',
  source: 'transaction',
  columns: columns({
    transaction_id: int(from('transaction_id'), { key: 'primary' }),
    transaction_type: varchar(from('transaction_type')),
    sales_order_id: int(from('sales_order_id'), { nullable: true }),
    purchase_order_id: int(from('purchase_order_id'), { nullable: true }),
  }),
};
