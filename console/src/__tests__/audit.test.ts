import { describe, expect, it } from "vitest";
import { asOf, eventType, happenedBy, mergeHistories, micros, sliderSpan, type HistoryEvent } from "../audit";

const event = (service: string, version: number, time: string, name = "Deal.StageChanged"): HistoryEvent => ({
  time,
  service,
  event: name,
  version,
  actor: "rep-1",
  correlation_id: null,
  reason: null,
  details: {},
});

describe("merging the two services' histories", () => {
  it("puts every event of both in time order", () => {
    const pipeline = [event("pipeline", 1, "2026-03-01T10:00:01+00:00"), event("pipeline", 2, "2026-03-01T10:05:00+00:00")];
    const registration = [event("registration", 1, "2026-03-01T10:00:00+00:00"), event("registration", 2, "2026-03-01T10:03:00+00:00")];
    expect(mergeHistories(pipeline, registration).map((e) => `${e.service}${e.version}`)).toEqual([
      "registration1",
      "pipeline1",
      "registration2",
      "pipeline2",
    ]);
  });

  it("orders events of the same millisecond by their microseconds", () => {
    const later = event("registration", 3, "2026-03-01T10:00:00.123900+00:00");
    const earlier = event("pipeline", 7, "2026-03-01T10:00:00.123100+00:00");
    expect(mergeHistories([later], [earlier])).toEqual([earlier, later]);
    expect(micros(later.time) - micros(earlier.time)).toBe(800);
  });

  it("reads instants in any offset as the same moment", () => {
    expect(micros("2026-03-01T18:00:00.5+08:00")).toBe(micros("2026-03-01T10:00:00.500000+00:00"));
  });

  it("puts registration first at the very same instant, then by version", () => {
    const at = "2026-03-01T10:00:00.000001+00:00";
    const merged = mergeHistories([event("pipeline", 2, at), event("pipeline", 1, at)], [event("registration", 4, at)]);
    expect(merged.map((e) => `${e.service}${e.version}`)).toEqual(["registration4", "pipeline1", "pipeline2"]);
  });

  it("names an event by its type without its aggregate", () => {
    expect(eventType(event("pipeline", 1, "2026-03-01T10:00:00+00:00", "Deal.StageChanged"))).toBe("StageChanged");
  });
});

describe("the time slider", () => {
  const events = mergeHistories([
    event("pipeline", 1, "2026-03-01T10:00:00.000200+00:00"),
    event("pipeline", 2, "2026-03-01T10:00:00.000900+00:00"),
    event("pipeline", 3, "2026-03-01T11:30:00.250000+00:00"),
  ]);

  it("runs from the first event to the last, one mark per millisecond holding events", () => {
    const span = sliderSpan(events)!;
    expect(span.min).toBe(Date.parse("2026-03-01T10:00:00Z"));
    expect(span.max).toBe(Date.parse("2026-03-01T11:30:00.250Z"));
    expect(span.points).toEqual([span.min, span.max]);
  });

  it("has no span without events", () => {
    expect(sliderSpan([])).toBeNull();
  });

  it("asks about the end of a mark's millisecond, so its events count as happened", () => {
    const at = Date.parse("2026-03-01T10:00:00Z");
    expect(asOf(at)).toBe("2026-03-01T10:00:00.000999Z");
    expect(micros(asOf(at))).toBeGreaterThanOrEqual(micros(events[1].time));
    expect(micros(asOf(at))).toBeLessThan(micros(events[2].time));
    expect(events.map((e) => happenedBy(e, at))).toEqual([true, true, false]);
  });
});
