import { sql } from 'slonik';
import { columns, date, derived, int, type TableSpec, varchar } from './spec.ts';

/** One row per calendar date any fact references (spec §2.1); nothing comes from a source table. */
export const dim_date: TableSpec<'dim_date'> = {
  name: 'dim_date',
  role: 'date',
  columns: columns({
    date_id: date(derived('the date itself'), { key: 'primary' }),
    year: int(derived('calendar year')),
    month: int(derived('month 1–12')),
    day: int(derived('day of month')),
    day_of_week: int(derived('ISO weekday: Monday 1 … Sunday 7'), {
      check: sql.fragment`"day_of_week" BETWEEN 1 AND 7`,
    }),
    day_name: varchar(derived("English day name ('Monday')")),
    month_name: varchar(derived("English month name ('January')")),
    quarter: int(derived('quarter 1–4'), { check: sql.fragment`"quarter" BETWEEN 1 AND 4` }),
  }),
};
