import {
  FORWARD_REFERENCES,
  PartnerTracker,
  REVERSE_REFERENCES,
} from '../../../services/lambdas/extract/join-partners.ts';
import type { SourceValue } from '../../../shared/lake/index.ts';
import { SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';

/** A row of `table` with the given columns set and everything else null. */
function row(table: SourceTableName, values: Record<string, SourceValue>): SourceValue[] {
  return SOURCE_TABLES[table].columns.map((c) => values[c.name] ?? null);
}

describe('join partner rules', () => {
  it('follow every source foreign key except the orders a transaction points at', () => {
    const refs = FORWARD_REFERENCES.map((r) => `${r.table}.${r.column}->${r.target}`).sort();
    expect(refs).toEqual(
      [
        'counterparty.legal_address_id->address',
        'payment.counterparty_id->counterparty',
        'payment.currency_id->currency',
        'payment.payment_type_id->payment_type',
        'payment.transaction_id->transaction',
        'purchase_order.agreed_delivery_location_id->address',
        'purchase_order.counterparty_id->counterparty',
        'purchase_order.currency_id->currency',
        'purchase_order.staff_id->staff',
        'sales_order.agreed_delivery_location_id->address',
        'sales_order.counterparty_id->counterparty',
        'sales_order.currency_id->currency',
        'sales_order.design_id->design',
        'sales_order.staff_id->staff',
        'staff.department_id->department',
      ].sort(),
    );
    expect(REVERSE_REFERENCES.map((r) => `${r.changed}->${r.table}.${r.column}`)).toEqual([
      'address->counterparty.legal_address_id',
      'department->staff.department_id',
    ]);
  });
});

describe('PartnerTracker', () => {
  it('asks for what a sale references, then for what those partners reference', () => {
    const t = new PartnerTracker();
    t.add(
      'sales_order',
      [
        row('sales_order', {
          sales_order_id: 9,
          design_id: 2,
          staff_id: 3,
          counterparty_id: 4,
          currency_id: 1,
          agreed_delivery_location_id: 5,
        }),
      ],
      'changed',
    );
    expect(Object.fromEntries(t.missing())).toEqual({
      design: [2],
      staff: [3],
      counterparty: [4],
      currency: [1],
      address: [5],
    });
    // The partner counterparty needs its legal address, the partner staff its department.
    t.add('counterparty', [row('counterparty', { counterparty_id: 4, legal_address_id: 6 })], 'partner');
    t.add('staff', [row('staff', { staff_id: 3, department_id: 7 })], 'partner');
    t.add('address', [row('address', { address_id: 5 })], 'partner');
    t.add('design', [row('design', { design_id: 2 })], 'partner');
    t.add('currency', [row('currency', { currency_id: 1 })], 'partner');
    expect(Object.fromEntries(t.missing())).toEqual({ address: [6], department: [7] });
    // Partners trigger no reverse lookups.
    expect(t.reverseLookups()).toEqual([]);
  });

  it('needs nothing when the unit already holds every referenced row (a first, full run)', () => {
    const t = new PartnerTracker();
    t.add('address', [row('address', { address_id: 1 })], 'changed');
    t.add('counterparty', [row('counterparty', { counterparty_id: 1, legal_address_id: 1 })], 'changed');
    expect(t.missing().size).toBe(0);
    expect(t.has('address', 1)).toBe(true);
    expect(t.has('address', 2)).toBe(false);
  });

  it('asks for the counterparties of a changed address and the staff of a changed department', () => {
    const t = new PartnerTracker();
    t.add('address', [row('address', { address_id: 3 }), row('address', { address_id: 1 })], 'changed');
    t.add('department', [row('department', { department_id: 2 })], 'changed');
    expect(t.reverseLookups()).toEqual([
      { changed: 'address', table: 'counterparty', column: 'legal_address_id', ids: [1, 3] },
      { changed: 'department', table: 'staff', column: 'department_id', ids: [2] },
    ]);
  });

  it('ignores null references (a transaction of a purchase has no sales order) and rejects non-integer ids', () => {
    const t = new PartnerTracker();
    t.add(
      'transaction',
      [row('transaction', { transaction_id: 1, transaction_type: 'PURCHASE', purchase_order_id: 4 })],
      'changed',
    );
    expect(t.missing().size).toBe(0);
    expect(() => t.add('staff', [row('staff', { staff_id: 1, department_id: '2' })], 'changed')).toThrow(
      TypeError,
    );
    expect(() => t.add('staff', [row('staff', { department_id: 2 })], 'changed')).toThrow(
      'without a primary key',
    );
  });
});
