/** Periods as the forecast writes them (`2026`, `2026-Q4`, `2026-11`), and instants for
 * `as_of`, `from` and `to` from the browser's date-time inputs. */

export function quarterOf(day: Date): string {
  return `${day.getFullYear()}-Q${Math.floor(day.getMonth() / 3) + 1}`;
}

export interface PeriodChoices {
  quarters: string[];
  months: string[];
  years: string[];
}

/** The periods offered: last year to next year, by quarter, month and year. */
export function periodChoices(today: Date): PeriodChoices {
  const years = [today.getFullYear() - 1, today.getFullYear(), today.getFullYear() + 1];
  return {
    quarters: years.flatMap((year) => [1, 2, 3, 4].map((quarter) => `${year}-Q${quarter}`)),
    months: years.flatMap((year) => Array.from({ length: 12 }, (_, month) => `${year}-${String(month + 1).padStart(2, "0")}`)),
    years: years.map(String),
  };
}

/** A `<input type="datetime-local">` value (local time, no zone) as an ISO instant; "" is none. */
export function instantOf(local: string): string | undefined {
  if (!local) return undefined;
  const moment = new Date(local);
  return Number.isNaN(moment.getTime()) ? undefined : moment.toISOString();
}

/** An instant as a `<input type="datetime-local">` value, in the browser's time zone. */
export function localInputValue(moment: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}T${pad(moment.getHours())}:${pad(moment.getMinutes())}`;
}
