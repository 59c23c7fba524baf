import {
  compareSourceSchema,
  type ObservedColumn,
  type ObservedSchema,
} from '../../../shared/schema/source-drift.ts';
import { SOURCE_TABLE_NAMES, SOURCE_TABLES, type SourceColumn } from '../../../shared/schema/totesys.ts';

/** The catalog of a source exactly as spec §1 declares it (what sourceDdlStatements creates). */
function observedColumn(table: string, column: SourceColumn, position: number): ObservedColumn {
  const base = {
    table,
    column: column.name,
    position,
    nullable: column.nullable,
    maxLength: null,
    fractionDigits: null,
  };
  switch (column.type) {
    case 'int':
      return { ...base, typeName: 'int4', typeText: 'integer' };
    case 'varchar':
      return column.length === undefined
        ? { ...base, typeName: 'varchar', typeText: 'character varying' }
        : {
            ...base,
            typeName: 'varchar',
            typeText: `character varying(${column.length})`,
            maxLength: column.length,
          };
    case 'numeric':
      return { ...base, typeName: 'numeric', typeText: 'numeric' };
    case 'timestamp':
      return {
        ...base,
        typeName: 'timestamp',
        typeText: 'timestamp(3) without time zone',
        fractionDigits: 3,
      };
    case 'boolean':
      return { ...base, typeName: 'bool', typeText: 'boolean' };
  }
}

function spec(): { tables: string[]; columns: ObservedColumn[] } {
  return {
    tables: [...SOURCE_TABLE_NAMES, '_prisma_migrations'],
    columns: SOURCE_TABLE_NAMES.flatMap((t) =>
      SOURCE_TABLES[t].columns.map((c, i) => observedColumn(t, c, i + 1)),
    ),
  };
}

function change(
  schema: ObservedSchema,
  table: string,
  column: string,
  patch: Partial<ObservedColumn> | null,
): ObservedSchema {
  return {
    tables: schema.tables,
    columns: schema.columns.flatMap((c) => {
      if (c.table !== table || c.column !== column) return [c];
      return patch === null ? [] : [{ ...c, ...patch }];
    }),
  };
}

describe('compareSourceSchema', () => {
  it('finds nothing on the spec schema (Prisma table ignored)', () => {
    expect(compareSourceSchema(spec())).toEqual([]);
  });

  it.each([
    [
      'varchar(3) → varchar(8)',
      'currency',
      'currency_code',
      { typeText: 'character varying(8)', maxLength: 8 },
    ],
    ['varchar → text', 'staff', 'first_name', { typeName: 'text', typeText: 'text' }],
    ['numeric → numeric(12,2)', 'payment', 'payment_amount', { typeText: 'numeric(12,2)' }],
    ['int → smallint', 'sales_order', 'units_sold', { typeName: 'int2', typeText: 'smallint' }],
    [
      'timestamp(3) → timestamp(0)',
      'design',
      'created_at',
      { typeText: 'timestamp(0) without time zone', fractionDigits: 0 },
    ],
  ])('%s is compatible drift, named table.column', (_label, table, column, patch) => {
    const findings = compareSourceSchema(change(spec(), table, column, patch));
    expect(findings).toEqual([
      expect.objectContaining({ kind: 'compatible-type', compatible: true, subject: `${table}.${column}` }),
    ]);
  });

  it.each([
    [
      'int → bigint',
      'payment',
      'company_ac_number',
      { typeName: 'int8', typeText: 'bigint' },
      /bigint value above 2\^31/,
    ],
    [
      'timestamp(3) → timestamp(6)',
      'payment',
      'last_updated',
      { typeText: 'timestamp without time zone', fractionDigits: 6 },
      /more than the 3 fraction digits/,
    ],
    [
      'timestamp → timestamptz',
      'payment',
      'created_at',
      { typeName: 'timestamptz', typeText: 'timestamp(3) with time zone', fractionDigits: 3 },
      /session time zone/,
    ],
    [
      'varchar → char(10)',
      'address',
      'city',
      { typeName: 'bpchar', typeText: 'character(10)', maxLength: 10 },
      /blank-padded/,
    ],
    ['boolean → int', 'payment', 'paid', { typeName: 'int4', typeText: 'integer' }, /reads a boolean/],
  ])('%s is incompatible, with the reason', (_label, table, column, patch, reason) => {
    const [finding, ...rest] = compareSourceSchema(change(spec(), table, column, patch));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      kind: 'incompatible-type',
      compatible: false,
      subject: `${table}.${column}`,
    });
    expect(finding!.detail).toMatch(reason);
  });

  it('a required column made nullable is incompatible; a nullable one made NOT NULL is no drift', () => {
    expect(compareSourceSchema(change(spec(), 'staff', 'email_address', { nullable: true }))).toEqual([
      expect.objectContaining({ kind: 'now-nullable', compatible: false, subject: 'staff.email_address' }),
    ]);
    expect(compareSourceSchema(change(spec(), 'address', 'district', { nullable: false }))).toEqual([]);
  });

  it('a new column and a new table go on; a missing column and a missing table stop', () => {
    const base = spec();
    const added: ObservedSchema = {
      tables: [...base.tables, 'loyalty'],
      columns: [
        ...base.columns,
        { ...base.columns[0]!, table: 'sales_order', column: 'discount', position: 13 },
        { ...base.columns[0]!, table: 'loyalty', column: 'loyalty_id', position: 1 },
      ],
    };
    expect(compareSourceSchema(added).map((f) => [f.kind, f.subject, f.compatible])).toEqual([
      ['new-column', 'sales_order.discount', true],
      ['new-table', 'loyalty', true],
    ]);
    expect(compareSourceSchema(change(base, 'address', 'district', null))).toEqual([
      expect.objectContaining({ kind: 'missing-column', compatible: false, subject: 'address.district' }),
    ]);
    const withoutPayment: ObservedSchema = {
      tables: base.tables.filter((t) => t !== 'payment'),
      columns: base.columns.filter((c) => c.table !== 'payment'),
    };
    expect(compareSourceSchema(withoutPayment)).toEqual([
      expect.objectContaining({ kind: 'missing-table', compatible: false, subject: 'payment' }),
    ]);
  });

  it('a rename (same position, compatible type) is reported once, naming both names', () => {
    const findings = compareSourceSchema(change(spec(), 'staff', 'email_address', { column: 'email' }));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      kind: 'renamed-column',
      compatible: false,
      subject: 'staff.email_address',
    });
    expect(findings[0]!.action).toContain('RENAME COLUMN email TO email_address');
  });

  it('a renamed table (a new table with all its columns) is reported once, with the rename back', () => {
    const base = spec();
    const renamed: ObservedSchema = {
      tables: [...base.tables.filter((t) => t !== 'design'), 'design_v2'],
      columns: base.columns.map((c) => (c.table === 'design' ? { ...c, table: 'design_v2' } : c)),
    };
    const findings = compareSourceSchema(renamed);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: 'missing-table', subject: 'design' });
    expect(findings[0]!.action).toContain('ALTER TABLE design_v2 RENAME TO design');
  });
});
