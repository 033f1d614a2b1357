/** The auditor's view of a deal: both services' events as one story in time order, and the
 * time slider over it (its span, a mark per event, the instant each position asks about). */
import type { Schemas } from "./api/client";

export type HistoryEvent = Schemas["HistoryEvent"];

/** An ISO instant in microseconds since the epoch: the services record microseconds, and
 * two events in the same millisecond must still sort in the order they happened. */
export function micros(iso: string): number {
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? "";
  const whole = Date.parse(iso.replace(/\.\d+/, ""));
  return whole * 1000 + Number(fraction.padEnd(6, "0").slice(0, 6));
}

/** Registration's events come before the pipeline's at the same instant: a deal is
 * registered before the pipeline hears of it. */
const SERVICE_ORDER: Record<string, number> = { registration: 0, pipeline: 1 };

/** Both histories as one, oldest first (ties: registration first, then by version). */
export function mergeHistories(...histories: HistoryEvent[][]): HistoryEvent[] {
  return histories
    .flat()
    .map((event) => ({ event, at: micros(event.time) }))
    .sort(
      (a, b) =>
        a.at - b.at ||
        (SERVICE_ORDER[a.event.service] ?? 9) - (SERVICE_ORDER[b.event.service] ?? 9) ||
        a.event.version - b.event.version,
    )
    .map(({ event }) => event);
}

/** The millisecond an event falls in: a slider position. */
export function position(event: HistoryEvent): number {
  return Math.floor(micros(event.time) / 1000);
}

export interface SliderSpan {
  min: number;
  max: number;
  /** one position per millisecond holding an event, ascending */
  points: number[];
}

/** The slider runs from the first event to the last, a mark where events are; null for no events. */
export function sliderSpan(events: HistoryEvent[]): SliderSpan | null {
  if (!events.length) return null;
  const points = [...new Set(events.map(position))].sort((a, b) => a - b);
  return { min: points[0], max: points[points.length - 1], points };
}

/** The instant a slider position asks about: the end of its millisecond, so that every
 * event in it (recorded to the microsecond) counts as having happened. */
export function asOf(point: number): string {
  return new Date(point).toISOString().replace("Z", "999Z");
}

/** Whether an event had happened at a slider position (what `as_of` would include). */
export function happenedBy(event: HistoryEvent, point: number): boolean {
  return position(event) <= point;
}

/** The event name without its aggregate (`Deal.StageChanged` → `StageChanged`). */
export function eventType(event: HistoryEvent): string {
  return event.event.split(".").pop() ?? event.event;
}
