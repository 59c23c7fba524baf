import {
  columns,
  date,
  from,
  int,
  numeric,
  serial,
  type TableSpec,
  varchar,
  versionStampColumns,
} from './spec.ts';

/** One row per source version of a purchase order (spec §2.2). */
export const fact_purchase_order: TableSpec<'fact_purchase_order'> = {
  name: 'fact_purchase_order',
  role: 'fact',
  source: 'purchase_order',
  columns: columns({
    purchase_record_id: serial({ key: 'surrogate' }),
    purchase_order_id: int(from('purchase_order_id'), { key: 'natural' }),
    ...versionStampColumns(),
    staff_id: int(from('staff_id'), { references: ['dim_staff', 'staff_id'] }),
    counterparty_id: int(from('counterparty_id'), { references: ['dim_counterparty', 'counterparty_id'] }),
    item_code: varchar(from('item_code')),
    item_quantity: int(from('item_quantity')),
    item_unit_price: numeric(from('item_unit_price')),
    currency_id: int(from('currency_id'), { references: ['dim_currency', 'currency_id'] }),
    agreed_delivery_date: date(from('agreed_delivery_date'), { references: ['dim_date', 'date_id'] }),
    agreed_payment_date: date(from('agreed_payment_date'), { references: ['dim_date', 'date_id'] }),
    agreed_delivery_location_id: int(from('agreed_delivery_location_id'), {
      references: ['dim_location', 'location_id'],
    }),
  }),
  versionKey: {
    name: 'fact_purchase_order_version_key',
    columns: ['purchase_order_id', 'last_updated_date', 'last_updated_time'],
  },
};
