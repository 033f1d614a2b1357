/** Money, dates and stage labels for the reader's language, through Intl. */
import type { Money } from "./api/client";

export function intlLocale(language: string): string {
  return language.startsWith("zh") ? "zh-CN" : "en";
}

/** Intl's formatters are slow to make and cheap to use: the board formats a few hundred amounts
 * and dates on its first screen (making one per call was a tenth of that screen's time). */
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `n ${locale} ${JSON.stringify(options)}`;
  let found = formatters.get(key) as Intl.NumberFormat | undefined;
  if (!found) formatters.set(key, (found = new Intl.NumberFormat(locale, options)));
  return found;
}

function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `d ${locale} ${JSON.stringify(options)}`;
  let found = formatters.get(key) as Intl.DateTimeFormat | undefined;
  if (!found) formatters.set(key, (found = new Intl.DateTimeFormat(locale, options)));
  return found;
}

export function money(value: Money, language: string): string {
  return numberFormat(intlLocale(language), { style: "currency", currency: value.currency }).format(Number(value.amount));
}

/** A sum per currency, as the API gives it; nothing is "0" in no currency. */
export function sums(values: Money[], language: string): string {
  return values.length ? values.map((value) => money(value, language)).join(" + ") : "—";
}

export function date(isoDate: string, language: string): string {
  const [year, month, day] = isoDate.slice(0, 10).split("-").map(Number);
  return dateFormat(intlLocale(language), { dateStyle: "medium", timeZone: "UTC" }).format(new Date(Date.UTC(year, month - 1, day)));
}

export function dateTime(iso: string, language: string): string {
  return dateFormat(intlLocale(language), { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

/** A stage's own label in the reader's language (the stage set holds `zh` and `en`). */
export function stageLabel(labels: Record<string, string>, key: string, language: string): string {
  const wanted = language.startsWith("zh") ? ["zh-CN", "zh", "en"] : [language, "en", "zh"];
  for (const code of wanted) if (labels[code]) return labels[code];
  return key;
}

/** Time spent, in the largest unit that reads well (days, hours or minutes). */
export function duration(seconds: number, language: string): string {
  const [value, unit] =
    seconds >= 86400 ? [seconds / 86400, "day"] : seconds >= 3600 ? [seconds / 3600, "hour"] : [Math.max(seconds / 60, 0), "minute"];
  return numberFormat(intlLocale(language), { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: 1 }).format(value);
}

/** A file's size as people read it: 812 B, 34 KB, 2.4 MB. */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
