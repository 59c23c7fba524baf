import { columns, from, int, type TableSpec, varchar } from './spec.ts';

export const dim_design: TableSpec<'dim_design'> = {
  name: 'dim_design',
  role: 'dimension',
  source: 'design',
  columns: columns({
    design_id: int(from('design_id'), { key: 'primary' }),
    design_name: varchar(from('design_name')),
    file_location: varchar(from('file_location')),
    file_name: varchar(from('file_name')),
  }),
};
