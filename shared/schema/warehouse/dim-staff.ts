import { columns, from, int, type TableSpec, varchar } from './spec.ts';

/** staff ⨝ department (spec §2): the department's name and location travel with each person. */
export const dim_staff: TableSpec<'dim_staff'> = {
  name: 'dim_staff',
  role: 'dimension',
  source: 'staff',
  columns: columns({
    staff_id: int(from('staff_id'), { key: 'primary' }),
    first_name: varchar(from('first_name')),
    last_name: varchar(from('last_name')),
    department_name: varchar(from('department.department_name')),
    location: varchar(from('department.location')),
    email_address: varchar(from('email_address')),
  }),
};
