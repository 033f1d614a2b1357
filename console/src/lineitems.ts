/** A deal's line items as the screen edits them, and their amounts as the API computes them:
 * net = quantity × unit price × (1 − discount %), rounded half-up to the cent; the deal's value
 * is the sum of the nets. Exact decimal arithmetic (BigInt), never binary floating point, so
 * 0.5 cents round up as the server's Decimal does. */

/** A decimal string ("12.5", "3") as an integer of `scale` decimal places, rounded half-up. */
export function scaled(text: string, scale: number): bigint {
  const trimmed = text.trim();
  const found = /^(-?)(\d*)(?:\.(\d*))?$/.exec(trimmed);
  if (!found || (!found[2] && !found[3])) throw new Error(`not a decimal: ${text}`);
  const [, sign, whole, fraction = ""] = found;
  const kept = (fraction + "0".repeat(scale)).slice(0, scale);
  let value = BigInt((whole || "0") + kept);
  if (fraction.length > scale && Number(fraction[scale]) >= 5) value += 1n;
  return sign ? -value : value;
}

/** An integer of `scale` decimal places as its decimal string ("1234.50"). */
export function unscaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0");
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

/** The net amount of one line, in the currency's cents, as a decimal string with 2 places. */
export function lineTotal(quantity: string, unitPrice: string, discountPercent: string): string {
  // quantity to 3 places, price to 2, (100 − discount) to 2: the product has 7 places, and
  // dividing by 100 (the percent) makes 9; rounding to the cent drops 7.
  const product = scaled(quantity, 3) * scaled(unitPrice, 2) * (10000n - scaled(discountPercent, 2));
  const divisor = 10n ** 7n;
  const negative = product < 0n;
  const magnitude = negative ? -product : product;
  const cents = (magnitude + divisor / 2n) / divisor; // half-up, away from zero
  return unscaled(negative ? -cents : cents, 2);
}

export interface DraftLine {
  productCode: string;
  quantity: string;
  unitPrice: string;
  discountPercent: string;
}

/** The deal's value: the sum of its lines' nets (all in one currency: the deal's). */
export function linesSum(lines: readonly DraftLine[]): string {
  const total = lines.reduce((sum, line) => sum + scaled(lineTotal(line.quantity, line.unitPrice, line.discountPercent), 2), 0n);
  return unscaled(total, 2);
}

/** A number typed in a field as the API's decimal string (no float noise: 0.1 + 0.2). */
export function decimalText(value: number | string | null | undefined, places: number): string {
  if (value === null || value === undefined || value === "") return "0";
  const text = typeof value === "number" ? value.toFixed(places) : value;
  return unscaled(scaled(text, places), places).replace(/\.?0+$/, "") || "0";
}
