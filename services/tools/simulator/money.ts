/**
 * Exact money arithmetic for the generator: amounts are integer cents held as BigInt and written
 * as decimal strings with two fraction digits. No value ever passes through a binary float.
 */

const DECIMAL = /^(-?)(\d+)(?:\.(\d{1,2}))?$/;

/** '2.5' -> 250n, '1000.00' -> 100000n. Refuses more than two fraction digits or anything else. */
export function parseCents(text: string): bigint {
  const match = DECIMAL.exec(text.trim());
  if (!match) throw new RangeError(`not a decimal amount with at most 2 decimals: ${JSON.stringify(text)}`);
  const [, sign, whole, fraction = ''] = match;
  const cents = BigInt(whole as string) * 100n + BigInt(fraction.padEnd(2, '0'));
  return sign === '-' ? -cents : cents;
}

/** 250n -> '2.50', -5n -> '-0.05'. */
export function formatCents(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const whole = abs / 100n;
  const fraction = (abs % 100n).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/** quantity × unit price, exact to the cent: lineAmount(3, '2.57') === '7.71'. */
export function lineAmount(quantity: number, unitPrice: string): string {
  if (!Number.isSafeInteger(quantity)) throw new RangeError(`quantity must be an integer: ${quantity}`);
  return formatCents(BigInt(quantity) * parseCents(unitPrice));
}
