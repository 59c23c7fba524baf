import { dateAfter, formatDate, formatTimestamp } from './dates.ts';
import { formatCents, lineAmount } from './money.ts';
import type { Rng } from './prng.ts';
import { PURCHASE_PAYMENT_TYPE_ID, SALES_PAYMENT_TYPE_ID, UPPER } from './reference-data.ts';

/**
 * The time-dependent part of totesys (spec §1.1): designs, sales, purchases, and the transaction
 * and payment each order writes. The random draws are separated from the timestamps, so the seed
 * (which places orders on a historical timeline) and the simulator (which takes the database
 * clock) share one definition of what an order looks like.
 */

export interface DesignRow {
  design_id: number;
  created_at: string;
  last_updated: string;
  design_name: string;
  file_location: string;
  file_name: string;
}

export interface SalesOrderRow {
  sales_order_id: number;
  created_at: string;
  last_updated: string;
  design_id: number;
  staff_id: number;
  counterparty_id: number;
  units_sold: number;
  unit_price: string;
  currency_id: number;
  agreed_delivery_date: string;
  agreed_payment_date: string;
  agreed_delivery_location_id: number;
}

export interface PurchaseOrderRow {
  purchase_order_id: number;
  created_at: string;
  last_updated: string;
  staff_id: number;
  counterparty_id: number;
  item_code: string;
  item_quantity: number;
  item_unit_price: string;
  currency_id: number;
  agreed_delivery_date: string;
  agreed_payment_date: string;
  agreed_delivery_location_id: number;
}

export interface TransactionRow {
  transaction_id: number;
  transaction_type: 'SALE' | 'PURCHASE';
  sales_order_id: number | null;
  purchase_order_id: number | null;
  created_at: string;
  last_updated: string;
}

export interface PaymentRow {
  payment_id: number;
  created_at: string;
  last_updated: string;
  transaction_id: number;
  counterparty_id: number;
  payment_amount: string;
  currency_id: number;
  payment_type_id: number;
  paid: boolean;
  payment_date: string;
  company_ac_number: number;
  counterparty_ac_number: number;
}

export const DESIGN_NAMES = [
  'Frozen',
  'Granite',
  'Bronze',
  'Soft',
  'Steel',
  'Concrete',
  'Plastic',
  'Cotton',
  'Rubber',
  'Metal',
  'Fresh',
  'Wooden',
] as const;

export const FILE_LOCATIONS = [
  '/usr/local/src',
  '/private',
  '/usr',
  '/private/var',
  '/System',
  '/usr/ports',
  '/usr/share',
  '/etc/periodic',
  '/lost+found',
  '/Users',
  '/opt/share',
  '/var/mail',
  '/home/user/dir',
  '/opt/include',
  '/usr/X11R6',
  '/Library',
  '/Network',
  '/usr/libdata',
  '/etc/mail',
  '/bin',
  '/private/tmp',
  '/opt/lib',
  '/etc',
  '/opt/sbin',
  '/root',
  '/usr/include',
  '/var/spool',
  '/Applications',
  '/var/tmp',
  '/tmp',
  '/mnt',
  '/srv',
  '/media',
  '/boot',
  '/var/log',
] as const;

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_ALNUM = `${UPPER}0123456789`;

/** How many rows exist of each referenced table: ids are dense from 1, so any id in 1..n exists. */
export interface ReferenceCounts {
  address: number;
  counterparty: number;
  currency: number;
  staff: number;
  design: number;
}

export interface DesignDraw {
  design_name: string;
  file_location: string;
  /** The 4 lower-case alphanumerics at the end of file_name. */
  suffix: string;
}

export function drawDesign(rng: Rng): DesignDraw {
  return {
    design_name: rng.pick(DESIGN_NAMES),
    file_location: rng.pick(FILE_LOCATIONS),
    suffix: rng.chars(LOWER_ALNUM, 4),
  };
}

/** `<lower-case design_name>-<YYYYMMDD>-<4 lower-case alnum>.json` */
export function designFileName(draw: DesignDraw, createdDate: string): string {
  return `${draw.design_name.toLowerCase()}-${createdDate.replaceAll('-', '')}-${draw.suffix}.json`;
}

/** Days from the created date to the agreed delivery: usually 0–7, a few weeks later for ~4%. */
export function drawDeliveryOffset(rng: Rng): number {
  return rng.chance(0.04) ? rng.int(8, 42) : rng.int(0, 7);
}

/** Days from the created date to the agreed payment: 0–6. */
export function drawPaymentOffset(rng: Rng): number {
  return rng.int(0, 6);
}

export function drawAccountNumber(rng: Rng): number {
  return rng.int(10_000_000, 99_999_999);
}

/** units_sold 1,000–100,000 */
export function drawUnitsSold(rng: Rng): number {
  return rng.int(1_000, 100_000);
}

/** item_quantity 1–999 */
export function drawItemQuantity(rng: Rng): number {
  return rng.int(1, 999);
}

function centsText(cents: number): string {
  return formatCents(BigInt(cents));
}

/** What a new order is, independent of when it happens and of its ids. */
export interface OrderDraw {
  kind: 'SALE' | 'PURCHASE';
  staff_id: number;
  counterparty_id: number;
  currency_id: number;
  agreed_delivery_location_id: number;
  deliveryOffset: number;
  paymentOffset: number;
  quantity: number;
  unitPrice: string;
  /** quantity × unitPrice, exact. */
  amount: string;
  /** Sales only. */
  design_id: number | null;
  /** Purchases only. */
  item_code: string | null;
  company_ac_number: number;
  counterparty_ac_number: number;
}

export function drawOrder(rng: Rng, kind: 'SALE' | 'PURCHASE', refs: ReferenceCounts): OrderDraw {
  const sale = kind === 'SALE';
  const design_id = sale ? rng.int(1, refs.design) : null;
  const staff_id = rng.int(1, refs.staff);
  const counterparty_id = rng.int(1, refs.counterparty);
  const quantity = sale ? drawUnitsSold(rng) : drawItemQuantity(rng);
  // unit_price 2.00–4.00; item_unit_price 3.00–1,000.00; drawn as integer cents.
  const unitPrice = centsText(sale ? rng.int(200, 400) : rng.int(300, 100_000));
  const item_code = sale ? null : rng.chars(UPPER_ALNUM, 7);
  const currency_id = rng.int(1, refs.currency);
  const deliveryOffset = drawDeliveryOffset(rng);
  const paymentOffset = drawPaymentOffset(rng);
  const agreed_delivery_location_id = rng.int(1, refs.address);
  return {
    kind,
    staff_id,
    counterparty_id,
    currency_id,
    agreed_delivery_location_id,
    deliveryOffset,
    paymentOffset,
    quantity,
    unitPrice,
    amount: lineAmount(quantity, unitPrice),
    design_id,
    item_code,
    company_ac_number: drawAccountNumber(rng),
    counterparty_ac_number: drawAccountNumber(rng),
  };
}

export interface OrderRows {
  sales_order: SalesOrderRow | null;
  purchase_order: PurchaseOrderRow | null;
  transaction: TransactionRow;
  payment: PaymentRow;
}

/**
 * The rows one order writes at `createdMs`, with one shared created_at: the order, its
 * transaction, and its payment (payment_id = transaction_id, amount = quantity × price,
 * payment_date = agreed_payment_date, counterparty and currency copied, paid false).
 */
export function orderRows(
  draw: OrderDraw,
  createdMs: number,
  orderId: number,
  transactionId: number,
): OrderRows {
  const ts = formatTimestamp(createdMs);
  const agreed_delivery_date = dateAfter(createdMs, draw.deliveryOffset);
  const agreed_payment_date = dateAfter(createdMs, draw.paymentOffset);
  const sale = draw.kind === 'SALE';
  return {
    sales_order: sale
      ? {
          sales_order_id: orderId,
          created_at: ts,
          last_updated: ts,
          design_id: draw.design_id as number,
          staff_id: draw.staff_id,
          counterparty_id: draw.counterparty_id,
          units_sold: draw.quantity,
          unit_price: draw.unitPrice,
          currency_id: draw.currency_id,
          agreed_delivery_date,
          agreed_payment_date,
          agreed_delivery_location_id: draw.agreed_delivery_location_id,
        }
      : null,
    purchase_order: sale
      ? null
      : {
          purchase_order_id: orderId,
          created_at: ts,
          last_updated: ts,
          staff_id: draw.staff_id,
          counterparty_id: draw.counterparty_id,
          item_code: draw.item_code as string,
          item_quantity: draw.quantity,
          item_unit_price: draw.unitPrice,
          currency_id: draw.currency_id,
          agreed_delivery_date,
          agreed_payment_date,
          agreed_delivery_location_id: draw.agreed_delivery_location_id,
        },
    transaction: {
      transaction_id: transactionId,
      transaction_type: draw.kind,
      sales_order_id: sale ? orderId : null,
      purchase_order_id: sale ? null : orderId,
      created_at: ts,
      last_updated: ts,
    },
    payment: {
      payment_id: transactionId,
      created_at: ts,
      last_updated: ts,
      transaction_id: transactionId,
      counterparty_id: draw.counterparty_id,
      payment_amount: draw.amount,
      currency_id: draw.currency_id,
      payment_type_id: sale ? SALES_PAYMENT_TYPE_ID : PURCHASE_PAYMENT_TYPE_ID,
      paid: false,
      payment_date: agreed_payment_date,
      company_ac_number: draw.company_ac_number,
      counterparty_ac_number: draw.counterparty_ac_number,
    },
  };
}

export function designRow(draw: DesignDraw, createdMs: number, designId: number): DesignRow {
  const ts = formatTimestamp(createdMs);
  return {
    design_id: designId,
    created_at: ts,
    last_updated: ts,
    design_name: draw.design_name,
    file_location: draw.file_location,
    file_name: designFileName(draw, formatDate(createdMs)),
  };
}
