import {
  boolean,
  columns,
  date,
  from,
  int,
  numeric,
  serial,
  type TableSpec,
  versionStampColumns,
} from './spec.ts';

/** One row per source version of a payment (spec §2.2). */
export const fact_payment: TableSpec<'fact_payment'> = {
  name: 'fact_payment',
  role: 'fact',
  source: 'payment',
  columns: columns({
    payment_record_id: serial({ key: 'surrogate' }),
    payment_id: int(from('payment_id'), { key: 'natural' }),
    ...versionStampColumns(),
    transaction_id: int(from('transaction_id'), { references: ['dim_transaction', 'transaction_id'] }),
    counterparty_id: int(from('counterparty_id'), { references: ['dim_counterparty', 'counterparty_id'] }),
    payment_amount: numeric(from('payment_amount')),
    currency_id: int(from('currency_id'), { references: ['dim_currency', 'currency_id'] }),
    payment_type_id: int(from('payment_type_id'), { references: ['dim_payment_type', 'payment_type_id'] }),
    paid: boolean(from('paid')),
    payment_date: date(from('payment_date'), { references: ['dim_date', 'date_id'] }),
  }),
  versionKey: {
    name: 'fact_payment_version_key',
    columns: ['payment_id', 'last_updated_date', 'last_updated_time'],
  },
};
