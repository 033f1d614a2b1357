import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { whatIfOption } from "../charts/options";

const cny = (amount: string) => ({ amount, currency: "CNY" });
const usd = (amount: string) => ({ amount, currency: "USD" });

const answer: Schemas["ProbabilitiesWhatIfAnswer"] = {
  period: "2026-Q3",
  probabilities: { proposal: 90 },
  actual_won: [cny("300000.00")],
  mean_absolute_error: { in_force: [cny("175000.00")], alternative: [cny("0.00")] },
  points: [
    { as_of: "2026-07-01T00:00:00+00:00", won: [cny("300000.00")], in_force: { forecast: [cny("100000.00"), usd("5.00")], error: [] }, alternative: { forecast: [cny("300000.00")], error: [] } },
    { as_of: "2026-07-08T00:00:00+00:00", won: [cny("300000.00")], in_force: { forecast: [cny("150000.00")], error: [] }, alternative: { forecast: [cny("300000.00")], error: [] } },
  ],
};

describe("the what-if chart of stage probabilities", () => {
  it("draws the forecast shown, the one under the other probabilities and what was won, a point per week, in the chart's currency", () => {
    const option = whatIfOption(answer, "CNY", { shown: "shown", alternative: "what-if", won: "won" }, (iso) => iso.slice(0, 10), String) as {
      xAxis: { data: string[] };
      series: { name: string; type: string; data: number[] }[];
    };
    expect(option.xAxis.data).toEqual(["2026-07-01", "2026-07-08"]);
    expect(option.series.map((serie) => [serie.name, serie.type, serie.data])).toEqual([
      ["shown", "line", [100000, 150000]],
      ["what-if", "line", [300000, 300000]],
      ["won", "line", [300000, 300000]],
    ]);
  });
});
