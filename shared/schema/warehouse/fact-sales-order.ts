import { columns, date, from, int, numeric, serial, type TableSpec, versionStampColumns } from './spec.ts';

/** One row per source version of a sales order (spec §2.2). */
export const fact_sales_order: TableSpec<'fact_sales_order'> = {
  name: 'fact_sales_order',
  role: 'fact',
  source: 'sales_order',
  columns: columns({
    sales_record_id: serial({ key: 'surrogate' }),
    sales_order_id: int(from('sales_order_id'), { key: 'natural' }),
    ...versionStampColumns(),
    sales_staff_id: int(from('staff_id'), { references: ['dim_staff', 'staff_id'] }),
    counterparty_id: int(from('counterparty_id'), { references: ['dim_counterparty', 'counterparty_id'] }),
    units_sold: int(from('units_sold')),
    unit_price: numeric(from('unit_price'), { precision: 10, scale: 2 }),
    currency_id: int(from('currency_id'), { references: ['dim_currency', 'currency_id'] }),
    design_id: int(from('design_id'), { references: ['dim_design', 'design_id'] }),
    agreed_payment_date: date(from('agreed_payment_date'), { references: ['dim_date', 'date_id'] }),
    agreed_delivery_date: date(from('agreed_delivery_date'), { references: ['dim_date', 'date_id'] }),
    agreed_delivery_location_id: int(from('agreed_delivery_location_id'), {
      references: ['dim_location', 'location_id'],
    }),
  }),
  versionKey: {
    name: 'fact_sales_order_version_key',
    columns: ['sales_order_id', 'last_updated_date', 'last_updated_time'],
  },
};
