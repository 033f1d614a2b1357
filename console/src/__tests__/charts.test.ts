import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { amountIn, attainments, chartCurrency, funnelOption, stackByCategory, stackedOption, waterfall, waterfallOption, weightedIn } from "../charts/options";
import { instantOf, periodChoices, quarterOf } from "../periods";

const cny = (amount: string) => ({ amount, currency: "CNY" });
const usd = (amount: string) => ({ amount, currency: "USD" });
const figures = (weighted: Schemas["MoneyOut"][], count = 1): Schemas["Figures"] => ({ count, total: weighted, weighted });

describe("money in a chart's currency", () => {
  it("sums only the chart's currency and reads the base total when the forecast is rated", () => {
    expect(amountIn([cny("100.50"), usd("7"), cny("0.50")], "CNY")).toBe(101);
    expect(weightedIn({ ...figures([usd("10")]), weighted_in_base: cny("71.00") }, "CNY")).toBe(71);
  });

  it("plots the base currency, else the currency holding the most, else CNY", () => {
    expect(chartCurrency({ ...figures([usd("10")]), weighted_in_base: cny("71") })).toBe("CNY");
    expect(chartCurrency(figures([cny("10"), usd("900")]))).toBe("USD");
    expect(chartCurrency(figures([]))).toBe("CNY");
  });
});

describe("stacking the weighted value by forecast category per group", () => {
  const groups: Schemas["GroupFigures"][] = [
    { key: "rep-1", ...figures([cny("70")]), categories: { commit: figures([cny("50")]), pipeline: figures([cny("20")]) } },
    { key: "rep-2", ...figures([cny("5")]), categories: { pipeline: figures([cny("5")]) } },
    { key: null, ...figures([]), categories: {} },
  ];

  it("gives a series per category present, in the forecast's order, with a value per group", () => {
    const stacked = stackByCategory(groups, "CNY", (key) => key ?? "none");
    expect(stacked.groups).toEqual(["rep-1", "rep-2", "none"]);
    expect(stacked.series).toEqual([
      { category: "pipeline", values: [20, 5, 0] },
      { category: "commit", values: [50, 0, 0] },
    ]);
  });

  it("stacks every series on the one stack, named for the reader", () => {
    const option = stackedOption(stackByCategory(groups, "CNY", String), (name) => name.toUpperCase(), String) as { series: { stack: string; name: string }[] };
    expect(option.series.map((serie) => [serie.name, serie.stack])).toEqual([["PIPELINE", "weighted"], ["COMMIT", "weighted"]]);
  });

  it("keeps only the groups with a target for the attainment chart", () => {
    const withTarget = [{ ...groups[0], target: cny("200"), attainment: 0.25 }, groups[1]];
    expect(attainments(withTarget, String)).toEqual([{ key: "rep-1", target: cny("200"), attainment: 0.25 }]);
  });
});

describe("the changes' waterfall", () => {
  const pieces = { new: 300, pulled_in: 50, slipped_out: -120, value_changes: -30, stage_moves: 0, won: 40, lost: -100 };

  it("stands each rise on the running total and each fall on where it ends, and ends at the after total", () => {
    const bridge = waterfall(1000, pieces);
    expect(bridge.steps).toEqual(["before", "new", "pulled_in", "slipped_out", "value_changes", "stage_moves", "won", "lost", "after"]);
    expect(bridge.base).toEqual([0, 1000, 1300, 1230, 1200, 1200, 1200, 1140, 0]);
    expect(bridge.increase).toEqual([0, 300, 50, 0, 0, 0, 40, 0, 0]);
    expect(bridge.decrease).toEqual([0, 0, 0, 120, 30, 0, 0, 100, 0]);
    expect(bridge.total).toEqual([1000, 0, 0, 0, 0, 0, 0, 0, 1140]);
    // where each piece leaves the running total: a rise's top, a fall's bottom
    const after = bridge.base.map((base, index) => (bridge.decrease[index] ? base : base + bridge.increase[index]));
    expect(after.slice(1, 8)).toEqual([1300, 1350, 1230, 1200, 1200, 1240, 1140]);
  });

  it("draws the base series transparent and on the same stack as the visible bars", () => {
    const option = waterfallOption(waterfall(10, pieces), String, { total: "T", increase: "+", decrease: "-" }, String) as {
      series: { name: string; stack: string; itemStyle: { color: string } }[];
    };
    expect(option.series[0].itemStyle.color).toBe("transparent");
    expect(new Set(option.series.map((serie) => serie.stack))).toEqual(new Set(["bridge"]));
  });
});

describe("the stage conversion funnel", () => {
  it("plots the deals that reached each stage, in the API's order, under the stages' labels", () => {
    const option = funnelOption(
      [
        { stage: "prospecting", reached: 3, went_on: 2, conversion: 0.6667 },
        { stage: "proposal", reached: 2, went_on: 0, conversion: 0 },
      ],
      (stage) => `<${stage}>`,
    ) as { series: { type: string; sort: string; data: unknown[] }[] };
    expect(option.series[0].type).toBe("funnel");
    expect(option.series[0].sort).toBe("none");
    expect(option.series[0].data).toEqual([{ name: "<prospecting>", value: 3 }, { name: "<proposal>", value: 2 }]);
  });
});

describe("periods and instants", () => {
  it("names the quarter of a day and offers last year to next year", () => {
    expect(quarterOf(new Date(2026, 10, 3))).toBe("2026-Q4");
    const choices = periodChoices(new Date(2026, 0, 15));
    expect(choices.quarters[0]).toBe("2025-Q1");
    expect(choices.quarters.at(-1)).toBe("2027-Q4");
    expect(choices.months).toContain("2026-11");
    expect(choices.years).toEqual(["2025", "2026", "2027"]);
  });

  it("turns a date-time input's local value into an instant, and nothing into none", () => {
    expect(instantOf("")).toBeUndefined();
    expect(instantOf("nonsense")).toBeUndefined();
    expect(instantOf("2026-11-03T09:30")).toBe(new Date(2026, 10, 3, 9, 30).toISOString());
  });
});
