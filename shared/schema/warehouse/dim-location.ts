import { columns, from, int, type TableSpec, varchar } from './spec.ts';

/** One row per address. */
export const dim_location: TableSpec<'dim_location'> = {
  name: 'dim_location',
  role: 'dimension',
  source: 'address',
  columns: columns({
    location_id: int(from('address_id'), { key: 'primary' }),
    address_line_1: varchar(from('address_line_1')),
    address_line_2: varchar(from('address_line_2'), { nullable: true }),
    district: varchar(from('district'), { nullable: true }),
    city: varchar(from('city')),
    postal_code: varchar(from('postal_code')),
    country: varchar(from('country')),
    phone: varchar(from('phone')),
  }),
};
