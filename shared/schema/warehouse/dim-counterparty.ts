import { columns, from, int, type TableSpec, varchar } from './spec.ts';

/** counterparty ⨝ address (its legal address), the address columns prefixed `counterparty_legal_`. */
export const dim_counterparty: TableSpec<'dim_counterparty'> = {
  name: 'dim_counterparty',
  role: 'dimension',
  source: 'counterparty',
  columns: columns({
    counterparty_id: int(from('counterparty_id'), { key: 'primary' }),
    counterparty_legal_name: varchar(from('counterparty_legal_name')),
    counterparty_legal_address_line_1: varchar(from('address.address_line_1')),
    counterparty_legal_address_line_2: varchar(from('address.address_line_2'), { nullable: true }),
    counterparty_legal_district: varchar(from('address.district'), { nullable: true }),
    counterparty_legal_city: varchar(from('address.city')),
    counterparty_legal_postal_code: varchar(from('address.postal_code')),
    counterparty_legal_country: varchar(from('address.country')),
    counterparty_legal_phone_number: varchar(from('address.phone')),
  }),
};
