import { type CommonQueryMethods, sql } from 'slonik';
import {
  SOURCE_TABLES,
  SOURCE_TABLES_IN_DEPENDENCY_ORDER,
  type SourceTableName,
} from '../../../shared/schema/totesys.ts';

/**
 * Integrity rules of spec §1.1, each as an SQL query counting the rows that break it. Written
 * independently of the generator so the tests check the data, not the code's own idea of it.
 */
export const INTEGRITY_RULES: Readonly<Record<string, ReturnType<typeof sql.unsafe>>> = {
  'every sales order has exactly one SALE transaction': sql.unsafe`
    SELECT count(*) FROM sales_order o
    LEFT JOIN (SELECT sales_order_id, count(*) AS n FROM "transaction" GROUP BY sales_order_id) t
      USING (sales_order_id)
    WHERE t.n IS DISTINCT FROM 1`,
  'every purchase order has exactly one PURCHASE transaction': sql.unsafe`
    SELECT count(*) FROM purchase_order o
    LEFT JOIN (SELECT purchase_order_id, count(*) AS n FROM "transaction" GROUP BY purchase_order_id) t
      USING (purchase_order_id)
    WHERE t.n IS DISTINCT FROM 1`,
  'transaction type matches exactly one order link': sql.unsafe`
    SELECT count(*) FROM "transaction"
    WHERE NOT ((transaction_type = 'SALE' AND sales_order_id IS NOT NULL AND purchase_order_id IS NULL)
      OR (transaction_type = 'PURCHASE' AND purchase_order_id IS NOT NULL AND sales_order_id IS NULL))`,
  'every transaction has exactly one payment, payment_id = transaction_id': sql.unsafe`
    SELECT (SELECT count(*) FROM "transaction" t
            WHERE NOT EXISTS (SELECT 1 FROM payment p WHERE p.payment_id = t.transaction_id
                                AND p.transaction_id = t.transaction_id))
         + (SELECT count(*) FROM payment WHERE payment_id <> transaction_id)
         + (SELECT count(*) - count(DISTINCT transaction_id) FROM payment)`,
  'order, transaction and payment share created_at': sql.unsafe`
    SELECT count(*) FROM "transaction" t
    JOIN payment p ON p.transaction_id = t.transaction_id
    LEFT JOIN sales_order s ON s.sales_order_id = t.sales_order_id
    LEFT JOIN purchase_order po ON po.purchase_order_id = t.purchase_order_id
    WHERE p.created_at <> t.created_at OR coalesce(s.created_at, po.created_at) <> t.created_at`,
  'sale payments: amount, counterparty, currency, date, type 1': sql.unsafe`
    SELECT count(*) FROM sales_order s
    JOIN "transaction" t ON t.sales_order_id = s.sales_order_id
    JOIN payment p ON p.transaction_id = t.transaction_id
    WHERE p.payment_amount <> s.units_sold * s.unit_price OR p.counterparty_id <> s.counterparty_id
       OR p.currency_id <> s.currency_id OR p.payment_date <> s.agreed_payment_date
       OR p.payment_type_id <> 1`,
  'purchase payments: amount, counterparty, currency, date, type 3': sql.unsafe`
    SELECT count(*) FROM purchase_order o
    JOIN "transaction" t ON t.purchase_order_id = o.purchase_order_id
    JOIN payment p ON p.transaction_id = t.transaction_id
    WHERE p.payment_amount <> o.item_quantity * o.item_unit_price OR p.counterparty_id <> o.counterparty_id
       OR p.currency_id <> o.currency_id OR p.payment_date <> o.agreed_payment_date
       OR p.payment_type_id <> 3`,
  'amounts and prices have at most 2 decimals': sql.unsafe`
    SELECT (SELECT count(*) FROM payment WHERE scale(payment_amount) > 2)
         + (SELECT count(*) FROM sales_order WHERE scale(unit_price) > 2)
         + (SELECT count(*) FROM purchase_order WHERE scale(item_unit_price) > 2)`,
  'agreed dates are YYYY-MM-DD strings of real dates': sql.unsafe`
    SELECT count(*) FROM (
      SELECT agreed_delivery_date AS d FROM sales_order UNION ALL SELECT agreed_payment_date FROM sales_order
      UNION ALL SELECT agreed_delivery_date FROM purchase_order UNION ALL SELECT agreed_payment_date FROM purchase_order
      UNION ALL SELECT payment_date FROM payment) x
    WHERE d !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' OR to_char(d::date, 'YYYY-MM-DD') <> d`,
  'agreed dates follow the created date': sql.unsafe`
    SELECT count(*) FROM (
      SELECT created_at, agreed_delivery_date, agreed_payment_date FROM sales_order
      UNION ALL SELECT created_at, agreed_delivery_date, agreed_payment_date FROM purchase_order) x
    WHERE agreed_delivery_date::date - created_at::date NOT BETWEEN 0 AND 42
       OR agreed_payment_date::date - created_at::date NOT BETWEEN 0 AND 6`,
  'value ranges of orders': sql.unsafe`
    SELECT (SELECT count(*) FROM sales_order
            WHERE units_sold NOT BETWEEN 1000 AND 100000 OR unit_price NOT BETWEEN 2 AND 4)
         + (SELECT count(*) FROM purchase_order
            WHERE item_quantity NOT BETWEEN 1 AND 999 OR item_unit_price NOT BETWEEN 3 AND 1000
               OR item_code !~ '^[A-Z0-9]{7}$')`,
  'account numbers have 8 digits': sql.unsafe`
    SELECT count(*) FROM payment
    WHERE company_ac_number NOT BETWEEN 10000000 AND 99999999
       OR counterparty_ac_number NOT BETWEEN 10000000 AND 99999999`,
  'last_updated is never before created_at': sql.unsafe`
    SELECT (SELECT count(*) FROM sales_order WHERE last_updated < created_at)
         + (SELECT count(*) FROM purchase_order WHERE last_updated < created_at)
         + (SELECT count(*) FROM payment WHERE last_updated < created_at)
         + (SELECT count(*) FROM address WHERE last_updated < created_at)
         + (SELECT count(*) FROM department WHERE last_updated < created_at)
         + (SELECT count(*) FROM design WHERE last_updated < created_at)`,
  'orders reference designs that existed at their created_at': sql.unsafe`
    SELECT count(*) FROM sales_order s JOIN design d ON d.design_id = s.design_id
    WHERE d.created_at > s.created_at`,
  'design file names follow the pattern': sql.unsafe`
    SELECT count(*) FROM design
    WHERE design_name NOT IN ('Frozen', 'Granite', 'Bronze', 'Soft', 'Steel', 'Concrete', 'Plastic',
                              'Cotton', 'Rubber', 'Metal', 'Fresh', 'Wooden')
       OR file_name <> lower(design_name) || '-' || to_char(created_at, 'YYYYMMDD') || '-'
                       || substr(file_name, length(file_name) - 8, 4) || '.json'
       OR file_name !~ '^[a-z]+-[0-9]{8}-[a-z0-9]{4}[.]json$'
       OR file_location !~ '^/'`,
};

/** Rule name -> count of violating rows, only for rules that fail. */
export async function integrityViolations(db: CommonQueryMethods): Promise<Record<string, number>> {
  const failures: Record<string, number> = {};
  for (const [name, query] of Object.entries(INTEGRITY_RULES)) {
    const count = Number(await db.oneFirst(query));
    if (count !== 0) failures[name] = count;
  }
  return failures;
}

/** md5 of every row's text, in primary-key order, per source table. */
export async function tableChecksums(db: CommonQueryMethods): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of SOURCE_TABLES_IN_DEPENDENCY_ORDER) {
    const t = sql.identifier([table]);
    const pk = sql.identifier([SOURCE_TABLES[table].primaryKey]);
    out[table] = String(
      await db.oneFirst(
        sql.unsafe`SELECT md5(coalesce(string_agg(x::text, E'\n' ORDER BY x.${pk}), '')) FROM ${t} x`,
      ),
    );
  }
  return out;
}

export async function tableCounts(db: CommonQueryMethods): Promise<Record<SourceTableName, number>> {
  const out = {} as Record<SourceTableName, number>;
  for (const table of SOURCE_TABLES_IN_DEPENDENCY_ORDER) {
    out[table] = Number(await db.oneFirst(sql.unsafe`SELECT count(*) FROM ${sql.identifier([table])}`));
  }
  return out;
}
