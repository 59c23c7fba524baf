/** Source rows for the transform tests, built by column name so each test states only what matters. */

import type { SourceTableRows } from '../../../services/lambdas/transform/validate.ts';
import type { SourceValue } from '../../../shared/lake/index.ts';
import { SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';

export const T0 = '2022-11-03 14:20:49.962';

const DEFAULTS: Record<SourceTableName, Record<string, SourceValue>> = {
  address: {
    address_line_1: '6826 Herzog Via',
    address_line_2: null,
    district: null,
    city: 'New Patienceburgh',
    postal_code: '28441',
    country: 'Turkey',
    phone: '1803 637401',
  },
  counterparty: {
    counterparty_legal_name: 'Fahey and Sons',
    legal_address_id: 1,
    commercial_contact: 'Micheal Toy',
    delivery_contact: 'Mrs. Lucy Runolfsdottir',
  },
  currency: { currency_code: 'GBP' },
  department: { department_name: 'Sales', location: 'Manchester', manager: 'Richard Roma' },
  staff: {
    first_name: 'Jeremie',
    last_name: 'Franey',
    department_id: 1,
    email_address: 'jeremie.franey@terrifictotes.com',
  },
  design: { design_name: 'Wooden', file_location: '/usr', file_name: 'wooden-20220717-npgz.json' },
  payment_type: { payment_type_name: 'SALES_RECEIPT' },
  sales_order: {
    design_id: 1,
    staff_id: 1,
    counterparty_id: 1,
    units_sold: 1000,
    unit_price: '2.57',
    currency_id: 1,
    agreed_delivery_date: '2022-11-10',
    agreed_payment_date: '2022-11-05',
    agreed_delivery_location_id: 1,
  },
  purchase_order: {
    staff_id: 1,
    counterparty_id: 1,
    item_code: 'ZDOI5EA',
    item_quantity: 371,
    item_unit_price: '361.39',
    currency_id: 1,
    agreed_delivery_date: '2022-11-09',
    agreed_payment_date: '2022-11-07',
    agreed_delivery_location_id: 1,
  },
  transaction: { transaction_type: 'SALE', sales_order_id: 1, purchase_order_id: null },
  payment: {
    transaction_id: 1,
    counterparty_id: 1,
    payment_amount: '2570.00',
    currency_id: 1,
    payment_type_id: 1,
    paid: false,
    payment_date: '2022-11-05',
    company_ac_number: 67305075,
    counterparty_ac_number: 31622269,
  },
};

/** One source row in canonical column order; `values` must include the primary key. */
export function row(table: SourceTableName, values: Record<string, SourceValue>): SourceValue[] {
  const merged: Record<string, SourceValue> = {
    created_at: T0,
    last_updated: T0,
    ...DEFAULTS[table],
    ...values,
  };
  return SOURCE_TABLES[table].columns.map((c) => {
    if (!(c.name in merged)) throw new Error(`fixture for ${table} lacks ${c.name}`);
    return merged[c.name]!;
  });
}

export function part(
  table: SourceTableName,
  rows: Record<string, SourceValue>[],
  partNo = 1,
): SourceTableRows {
  return {
    table,
    part: partNo,
    key: `units/2022/11/03/20221103T142049962Z-test/${table}.${String(partNo).padStart(4, '0')}.json`,
    rows: rows.map((r) => row(table, r)),
  };
}
