import { randomInt } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type CommonQueryMethods,
  type DatabasePool,
  type DatabaseTransactionConnection,
  type FragmentSqlToken,
  sql,
} from 'slonik';
import { z } from 'zod';
import { SOURCE_TABLE_NAMES } from '../../../shared/schema/totesys.ts';
import { lineAmount } from './money.ts';
import {
  type DesignDraw,
  drawDeliveryOffset,
  drawDesign,
  drawItemQuantity,
  drawOrder,
  drawPaymentOffset,
  drawUnitsSold,
  type OrderDraw,
  type ReferenceCounts,
} from './orders.ts';
import { createRng, type Rng } from './prng.ts';
import {
  districtName,
  fullName,
  LAST_NAMES,
  PURCHASE_PAYMENT_TYPE_ID,
  phoneNumber,
  SALES_PAYMENT_TYPE_ID,
  streetLine,
} from './reference-data.ts';

/**
 * Keeps a seeded totesys database alive the way the real one is (spec §1.1): new sales and
 * purchases, each with its transaction and payment written in one statement with one shared
 * created_at; a new design now and then; and updates at a small rate (an order's quantity or
 * agreed dates, with its payment following so the link rules keep holding; a payment becoming
 * paid; an address; a department). Every business event is its own database transaction.
 *
 * Timestamps come from the database clock only: created_at and last_updated are
 * `date_trunc('milliseconds', now() AT TIME ZONE 'UTC')` of the event's transaction. An update
 * never leaves last_updated where it was: if the clock has not passed the row's last_updated
 * (two versions inside one millisecond), it becomes last_updated + 1 ms, so every version of a
 * row has its own (id, last_updated).
 *
 * All random choices are drawn before the transaction starts (slonik may re-run a transaction
 * callback), so `simulateEvents` with one seed on one database state does the same events.
 */

export const EVENT_KINDS = [
  'sale',
  'purchase',
  'design',
  'order_quantity',
  'order_dates',
  'payment_paid',
  'address',
  'department',
] as const;

export type SimulationEventKind = (typeof EVENT_KINDS)[number];

/** Relative frequency of each event (per 100): about 13% are updates. */
export const EVENT_WEIGHTS: Readonly<Record<SimulationEventKind, number>> = {
  sale: 60,
  purchase: 25,
  design: 2,
  order_quantity: 3,
  order_dates: 3,
  payment_paid: 4,
  address: 1.5,
  department: 1.5,
};

type InsertedTable = 'design' | 'sales_order' | 'purchase_order' | 'transaction' | 'payment';
type UpdatedTable = 'sales_order' | 'purchase_order' | 'payment' | 'address' | 'department';

export interface SimulationCounts {
  events: number;
  byEvent: Record<SimulationEventKind, number>;
  inserted: Record<InsertedTable, number>;
  updated: Record<UpdatedTable, number>;
}

export function emptyCounts(): SimulationCounts {
  return {
    events: 0,
    byEvent: Object.fromEntries(EVENT_KINDS.map((k) => [k, 0])) as Record<SimulationEventKind, number>,
    inserted: { design: 0, sales_order: 0, purchase_order: 0, transaction: 0, payment: 0 },
    updated: { sales_order: 0, purchase_order: 0, payment: 0, address: 0, department: 0 },
  };
}

/** The source has no rows to build on. */
export class SourceNotSeededError extends Error {
  override readonly name = 'SourceNotSeededError';
}

/** The database clock, UTC wall clock truncated to milliseconds (the source's timestamp(3)). */
const CLOCK = sql.fragment`date_trunc('milliseconds', now() AT TIME ZONE 'UTC')`;
/** The next last_updated of an updated row: the clock, strictly after the previous version. */
const NEXT_VERSION = sql.fragment`GREATEST(${CLOCK}, last_updated + interval '1 millisecond')`;

interface SourceMaxima extends ReferenceCounts {
  department: number;
  sales_order: number;
  purchase_order: number;
  payment: number;
}

/** Refuses a database without the eleven source tables (never seeded). */
async function assertSourceTables(db: CommonQueryMethods): Promise<void> {
  const missing = await db.anyFirst(sql.type(z.object({ name: z.string() }))`
    SELECT name FROM unnest(${sql.array([...SOURCE_TABLE_NAMES], 'text')}) AS name
    WHERE to_regclass(quote_ident(name)) IS NULL`);
  if (missing.length > 0) {
    throw new SourceNotSeededError(
      `the source database has no ${missing.join(', ')} table${missing.length > 1 ? 's' : ''}: run \`totes seed\` first`,
    );
  }
}

async function sourceMaxima(db: CommonQueryMethods): Promise<SourceMaxima> {
  const row = await db.one(sql.type(z.record(z.string(), z.number().int().nullable()))`
    SELECT
      (SELECT max(address_id) FROM address) AS address,
      (SELECT max(counterparty_id) FROM counterparty) AS counterparty,
      (SELECT max(currency_id) FROM currency) AS currency,
      (SELECT max(staff_id) FROM staff) AS staff,
      (SELECT max(design_id) FROM design) AS design,
      (SELECT max(department_id) FROM department) AS department,
      (SELECT max(payment_type_id) FROM payment_type) AS payment_type,
      (SELECT max(sales_order_id) FROM sales_order) AS sales_order,
      (SELECT max(purchase_order_id) FROM purchase_order) AS purchase_order,
      (SELECT max(payment_id) FROM payment) AS payment`);
  const missing = [
    'address',
    'counterparty',
    'currency',
    'staff',
    'design',
    'department',
    'payment_type',
  ].filter((t) => !row[t]);
  if (missing.length > 0) {
    throw new SourceNotSeededError(
      `the source database has no ${missing.join(', ')} rows: run \`totes seed\` first`,
    );
  }
  const n = (key: string) => row[key] ?? 0;
  return {
    address: n('address'),
    counterparty: n('counterparty'),
    currency: n('currency'),
    staff: n('staff'),
    design: n('design'),
    department: n('department'),
    sales_order: n('sales_order'),
    purchase_order: n('purchase_order'),
    payment: n('payment'),
  };
}

function pickKind(rng: Rng): SimulationEventKind {
  const total = EVENT_KINDS.reduce((sum, k) => sum + EVENT_WEIGHTS[k], 0);
  let x = rng.next() * total;
  for (const kind of EVENT_KINDS) {
    x -= EVENT_WEIGHTS[kind];
    if (x < 0) return kind;
  }
  return 'sale';
}

/** Column names of the two order tables. */
const ORDER_TABLES = {
  sales_order: { id: 'sales_order_id', quantity: 'units_sold', price: 'unit_price', link: 'sales_order_id' },
  purchase_order: {
    id: 'purchase_order_id',
    quantity: 'item_quantity',
    price: 'item_unit_price',
    link: 'purchase_order_id',
  },
} as const;

type OrderTable = keyof typeof ORDER_TABLES;

/** Everything an event needs, drawn before its transaction starts. */
type EventPlan =
  | { kind: 'sale' | 'purchase'; order: OrderDraw }
  | { kind: 'design'; design: DesignDraw }
  | { kind: 'order_quantity'; table: OrderTable; id: number; quantity: number }
  | { kind: 'order_dates'; table: OrderTable; id: number; deliveryOffset: number; paymentOffset: number }
  | { kind: 'payment_paid'; fromId: number }
  | {
      kind: 'address';
      id: number;
      field: 'phone' | 'address_line_1' | 'address_line_2' | 'district';
      value: string;
    }
  | { kind: 'department'; id: number; manager: string };

function planEvent(rng: Rng, max: SourceMaxima): EventPlan {
  let kind = pickKind(rng);
  const orderTable: OrderTable = rng.chance(0.7) ? 'sales_order' : 'purchase_order';
  const orderMax = max[orderTable];
  if ((kind === 'order_quantity' || kind === 'order_dates') && orderMax === 0) kind = 'sale';
  if (kind === 'payment_paid' && max.payment === 0) kind = 'sale';
  switch (kind) {
    case 'sale':
      return { kind, order: drawOrder(rng, 'SALE', max) };
    case 'purchase':
      return { kind, order: drawOrder(rng, 'PURCHASE', max) };
    case 'design':
      return { kind, design: drawDesign(rng) };
    case 'order_quantity':
      return {
        kind,
        table: orderTable,
        id: rng.int(1, orderMax),
        quantity: orderTable === 'sales_order' ? drawUnitsSold(rng) : drawItemQuantity(rng),
      };
    case 'order_dates':
      return {
        kind,
        table: orderTable,
        id: rng.int(1, orderMax),
        deliveryOffset: drawDeliveryOffset(rng),
        paymentOffset: drawPaymentOffset(rng),
      };
    case 'payment_paid':
      return { kind, fromId: rng.int(1, max.payment) };
    case 'address': {
      const field = rng.pick(['phone', 'address_line_1', 'address_line_2', 'district'] as const);
      const value =
        field === 'phone'
          ? phoneNumber(rng)
          : field === 'address_line_1'
            ? streetLine(rng)
            : field === 'district'
              ? districtName(rng)
              : `${rng.pick(LAST_NAMES)} ${rng.pick(['Cliffs', 'Mews', 'Court', 'Plains'])}`;
      return { kind, id: rng.int(1, max.address), field, value };
    }
    case 'department':
      return { kind, id: rng.int(1, max.department), manager: fullName(rng) };
  }
}

async function insertOrder(db: CommonQueryMethods, order: OrderDraw): Promise<void> {
  const sale = order.kind === 'SALE';
  const common = sql.fragment`${order.staff_id}::int, ${order.counterparty_id}::int`;
  const dates = sql.fragment`${order.currency_id}::int,
    to_char(ts::date + ${order.deliveryOffset}::int, 'YYYY-MM-DD'),
    to_char(ts::date + ${order.paymentOffset}::int, 'YYYY-MM-DD'),
    ${order.agreed_delivery_location_id}::int`;
  const insertOrderRow = sale
    ? sql.fragment`INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id,
          units_sold, unit_price, currency_id, agreed_delivery_date, agreed_payment_date,
          agreed_delivery_location_id)
        SELECT ts, ts, ${order.design_id as number}::int, ${common}, ${order.quantity}::int,
          ${order.unitPrice}::numeric, ${dates}
        FROM clock
        RETURNING sales_order_id AS order_id, created_at, counterparty_id, currency_id, agreed_payment_date`
    : sql.fragment`INSERT INTO purchase_order (created_at, last_updated, staff_id, counterparty_id, item_code,
          item_quantity, item_unit_price, currency_id, agreed_delivery_date, agreed_payment_date,
          agreed_delivery_location_id)
        SELECT ts, ts, ${common}, ${order.item_code as string}::varchar, ${order.quantity}::int,
          ${order.unitPrice}::numeric, ${dates}
        FROM clock
        RETURNING purchase_order_id AS order_id, created_at, counterparty_id, currency_id, agreed_payment_date`;
  const link = sale
    ? sql.fragment`'SALE', o.order_id, NULL::int`
    : sql.fragment`'PURCHASE', NULL::int, o.order_id`;
  const paymentId = await db.oneFirst(sql.type(z.object({ payment_id: z.number().int() }))`
    WITH clock AS (SELECT ${CLOCK} AS ts),
    o AS (${insertOrderRow}),
    t AS (
      INSERT INTO "transaction" (transaction_type, sales_order_id, purchase_order_id, created_at, last_updated)
      SELECT ${link}, o.created_at, o.created_at FROM o
      RETURNING transaction_id
    )
    INSERT INTO payment (payment_id, created_at, last_updated, transaction_id, counterparty_id,
      payment_amount, currency_id, payment_type_id, paid, payment_date, company_ac_number,
      counterparty_ac_number)
    SELECT t.transaction_id, o.created_at, o.created_at, t.transaction_id, o.counterparty_id,
      ${order.amount}::numeric, o.currency_id,
      ${sale ? SALES_PAYMENT_TYPE_ID : PURCHASE_PAYMENT_TYPE_ID}::int, false, o.agreed_payment_date,
      ${order.company_ac_number}::int, ${order.counterparty_ac_number}::int
    FROM o CROSS JOIN t
    RETURNING payment_id`);
  // payment_id is taken from the transaction, not from payment's own sequence: move that
  // sequence up to it (never down: sequences are not transactional and simulators may run
  // side by side) so a later default insert does not collide.
  await db.query(sql.unsafe`
    SELECT setval(q.s, GREATEST(${paymentId}::int, coalesce(pg_sequence_last_value(q.s::regclass), 0)))
    FROM (SELECT pg_get_serial_sequence('payment', 'payment_id') AS s) AS q`);
}

/**
 * Updates one order and then, in the same transaction, its payment, so the link rules keep
 * holding. `updateOrder` returns the payment's new assignment, or null when the order is absent.
 */
async function updateOrderAndPayment(
  pool: DatabasePool,
  table: OrderTable,
  orderId: number,
  counts: SimulationCounts,
  updateOrder: (tx: DatabaseTransactionConnection) => Promise<FragmentSqlToken | null>,
): Promise<void> {
  const link = sql.identifier([ORDER_TABLES[table].link]);
  const updatedPayments = await pool.transaction(async (tx) => {
    const assignment = await updateOrder(tx);
    if (!assignment) return null;
    const result = await tx.query(sql.unsafe`
      UPDATE payment SET ${assignment}, last_updated = ${NEXT_VERSION}
      WHERE transaction_id IN (SELECT transaction_id FROM "transaction" WHERE ${link} = ${orderId})`);
    return result.rowCount;
  });
  if (updatedPayments !== null) {
    counts.updated[table]++;
    counts.updated.payment += updatedPayments;
  }
}

async function applyEvent(pool: DatabasePool, plan: EventPlan, counts: SimulationCounts): Promise<void> {
  switch (plan.kind) {
    case 'sale':
    case 'purchase': {
      await pool.transaction((tx) => insertOrder(tx, plan.order));
      counts.inserted[plan.kind === 'sale' ? 'sales_order' : 'purchase_order']++;
      counts.inserted.transaction++;
      counts.inserted.payment++;
      return;
    }
    case 'design': {
      const d = plan.design;
      await pool.query(sql.unsafe`
        INSERT INTO design (created_at, last_updated, design_name, file_location, file_name)
        SELECT ts, ts, ${d.design_name}::varchar, ${d.file_location}::varchar,
          lower(${d.design_name}::varchar) || '-' || to_char(ts, 'YYYYMMDD') || '-' || ${d.suffix}::varchar || '.json'
        FROM (SELECT ${CLOCK} AS ts) AS clock`);
      counts.inserted.design++;
      return;
    }
    case 'order_quantity': {
      const cols = ORDER_TABLES[plan.table];
      await updateOrderAndPayment(pool, plan.table, plan.id, counts, async (tx) => {
        const price = await tx.maybeOneFirst(sql.type(z.object({ price: z.string() }))`
          SELECT ${sql.identifier([cols.price])}::text AS "price" FROM ${sql.identifier([plan.table])}
          WHERE ${sql.identifier([cols.id])} = ${plan.id} FOR UPDATE`);
        if (price === null) return null;
        await tx.query(sql.unsafe`
          UPDATE ${sql.identifier([plan.table])}
          SET ${sql.identifier([cols.quantity])} = ${plan.quantity}::int, last_updated = ${NEXT_VERSION}
          WHERE ${sql.identifier([cols.id])} = ${plan.id}`);
        return sql.fragment`payment_amount = ${lineAmount(plan.quantity, price)}::numeric`;
      });
      return;
    }
    case 'order_dates': {
      const cols = ORDER_TABLES[plan.table];
      await updateOrderAndPayment(pool, plan.table, plan.id, counts, async (tx) => {
        const paymentDate = await tx.maybeOneFirst(sql.type(
          z.object({ agreed_payment_date: z.string().nullable() }),
        )`
          UPDATE ${sql.identifier([plan.table])}
          SET agreed_delivery_date = to_char(created_at::date + ${plan.deliveryOffset}::int, 'YYYY-MM-DD'),
            agreed_payment_date = to_char(created_at::date + ${plan.paymentOffset}::int, 'YYYY-MM-DD'),
            last_updated = ${NEXT_VERSION}
          WHERE ${sql.identifier([cols.id])} = ${plan.id}
          RETURNING agreed_payment_date`);
        return typeof paymentDate === 'string' ? sql.fragment`payment_date = ${paymentDate}::varchar` : null;
      });
      return;
    }
    case 'payment_paid': {
      // The first unpaid payment from a random id on (wrapping round to the start).
      const markPaid = (fromId: number) =>
        pool.query(sql.unsafe`
          UPDATE payment SET paid = true, last_updated = ${NEXT_VERSION}
          WHERE payment_id = (
            SELECT payment_id FROM payment WHERE NOT paid AND payment_id >= ${fromId}::int
            ORDER BY payment_id LIMIT 1)
          AND NOT paid`);
      let result = await markPaid(plan.fromId);
      if (result.rowCount === 0 && plan.fromId > 1) result = await markPaid(1);
      counts.updated.payment += result.rowCount;
      return;
    }
    case 'address': {
      const value = sql.fragment`${plan.value}::varchar`;
      const assignment =
        plan.field === 'phone'
          ? sql.fragment`phone = ${value}`
          : plan.field === 'address_line_1'
            ? sql.fragment`address_line_1 = ${value}`
            : plan.field === 'address_line_2'
              ? sql.fragment`address_line_2 = CASE WHEN address_line_2 IS NULL THEN ${value} END`
              : sql.fragment`district = CASE WHEN district IS NULL THEN ${value} END`;
      const result = await pool.query(sql.unsafe`
        UPDATE address SET ${assignment}, last_updated = ${NEXT_VERSION} WHERE address_id = ${plan.id}`);
      counts.updated.address += result.rowCount;
      return;
    }
    case 'department': {
      const result = await pool.query(sql.unsafe`
        UPDATE department SET manager = ${plan.manager}::varchar, last_updated = ${NEXT_VERSION}
        WHERE department_id = ${plan.id}`);
      counts.updated.department += result.rowCount;
      return;
    }
  }
}

async function runOneEvent(
  pool: DatabasePool,
  rng: Rng,
  counts: SimulationCounts,
): Promise<SimulationEventKind> {
  const plan = planEvent(rng, await sourceMaxima(pool));
  await applyEvent(pool, plan, counts);
  counts.events++;
  counts.byEvent[plan.kind]++;
  return plan.kind;
}

export interface SimulateEventsOptions {
  readonly events: number;
  readonly seed: number;
}

/** Performs exactly `events` business events, one after another, and returns what they did. */
export async function simulateEvents(
  pool: DatabasePool,
  options: SimulateEventsOptions,
): Promise<SimulationCounts> {
  if (!Number.isSafeInteger(options.events) || options.events < 0) {
    throw new RangeError(`events must be a non-negative integer, got ${String(options.events)}`);
  }
  if (!Number.isSafeInteger(options.seed))
    throw new RangeError(`seed must be an integer, got ${options.seed}`);
  await assertSourceTables(pool);
  const rng = createRng(options.seed, 'simulate');
  const counts = emptyCounts();
  for (let i = 0; i < options.events; i++) await runOneEvent(pool, rng, counts);
  return counts;
}

export interface SimulateOptions {
  /** Events per second (> 0). */
  readonly ratePerSecond: number;
  /** Stop after this many seconds; without it, run until `signal` aborts. */
  readonly durationSeconds?: number;
  /** Defaults to a random seed. */
  readonly seed?: number;
  readonly signal?: AbortSignal;
  /** Called after every event with the running counts. */
  readonly onEvent?: (kind: SimulationEventKind, counts: SimulationCounts) => void;
  /** When given, a failed event is reported here and the run goes on; otherwise it throws. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Runs events at `ratePerSecond` (paced against a monotonic timer; the data's timestamps come from
 * the database) until `durationSeconds` has passed or `signal` aborts; returns the counts.
 */
export async function simulate(pool: DatabasePool, options: SimulateOptions): Promise<SimulationCounts> {
  const { ratePerSecond, durationSeconds, signal } = options;
  if (typeof ratePerSecond !== 'number' || !Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
    throw new RangeError(`rate must be a positive number of events per second, got ${String(ratePerSecond)}`);
  }
  if (durationSeconds !== undefined && !(Number.isFinite(durationSeconds) && durationSeconds >= 0)) {
    throw new RangeError(`duration must be a non-negative number of seconds, got ${String(durationSeconds)}`);
  }
  const seed = options.seed ?? randomInt(0, 2 ** 31);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  await assertSourceTables(pool);
  const rng = createRng(seed, 'simulate');
  const counts = emptyCounts();
  const intervalMs = 1000 / ratePerSecond;
  const started = performance.now();
  for (let i = 0; ; i++) {
    const dueMs = i * intervalMs;
    if (durationSeconds !== undefined && dueMs >= durationSeconds * 1000) break;
    if (signal?.aborted) break;
    const wait = started + dueMs - performance.now();
    if (wait > 0) {
      try {
        await delay(wait, undefined, signal ? { signal } : {});
      } catch {
        break; // aborted while waiting
      }
    }
    try {
      const kind = await runOneEvent(pool, rng, counts);
      options.onEvent?.(kind, counts);
    } catch (error) {
      if (!options.onError || error instanceof SourceNotSeededError) throw error;
      options.onError(error);
    }
  }
  return counts;
}

/** '2', '2/s', '0.5/s', '120/min' -> events per second. */
export function parseRate(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|second|m|min|minute))?\s*$/i.exec(text);
  const value = match ? Number(match[1]) : Number.NaN;
  if (!match || !(value > 0)) {
    throw new RangeError(
      `invalid rate ${JSON.stringify(text)}: expected a positive number like 2, 2/s or 120/min`,
    );
  }
  const unit = (match[2] ?? 's').toLowerCase();
  return unit.startsWith('m') ? value / 60 : value;
}
