/** The forecast's and the reports' answers turned into ECharts options: pure functions, no
 * echarts code (only its option type), so they are unit-tested and the pages stay thin.
 *
 * A chart plots one number per bar, so money is read in one currency: the rate table's base
 * currency when the forecast has one (`weighted_in_base`), otherwise the chart's currency;
 * amounts in other currencies stay in the tables beside the charts (the API keeps them apart). */
import type { EChartsCoreOption } from "echarts/core";
import type { Money, Schemas } from "../api/client";

type Figures = Schemas["Figures"];
type GroupFigures = Schemas["GroupFigures"];
type Pieces = Schemas["Pieces"];
type Format = (value: number) => string;

export const CATEGORIES = ["pipeline", "best_case", "commit", "closed"] as const;
export const CATEGORY_COLORS: Record<string, string> = {
  pipeline: "#8fb3e8",
  best_case: "#4f86d9",
  commit: "#0958d9",
  closed: "#389e0d",
};

/** The amount of `values` in `currency`, as a number; other currencies are not counted. */
export function amountIn(values: Money[], currency: string): number {
  return values.filter((value) => value.currency === currency).reduce((sum, value) => sum + Number(value.amount), 0);
}

/** Weighted value of some figures in the chart's currency (the base one when rated). */
export function weightedIn(figures: Figures, currency: string): number {
  if (figures.weighted_in_base?.currency === currency) return Number(figures.weighted_in_base.amount);
  return amountIn(figures.weighted, currency);
}

/** The currency a chart plots: the base currency if there is one, else the one holding the
 * most weighted value (CNY when there is nothing at all). */
export function chartCurrency(figures: Figures): string {
  if (figures.weighted_in_base) return figures.weighted_in_base.currency;
  const ranked = [...figures.weighted].sort((a, b) => Number(b.amount) - Number(a.amount));
  return ranked[0]?.currency ?? "CNY";
}

export interface Stacked {
  groups: string[];
  series: { category: string; values: number[] }[];
}

/** Weighted value per forecast category (a series each) per group (a bar each): the groups'
 * `categories` (asked with by_category=true). Categories nobody is in are left out. */
export function stackByCategory(groups: GroupFigures[], currency: string, keyLabel: (key: string | null) => string): Stacked {
  const seen = new Set(groups.flatMap((group) => Object.keys(group.categories ?? {})));
  const order = [...CATEGORIES.filter((name) => seen.has(name)), ...[...seen].filter((name) => !(CATEGORIES as readonly string[]).includes(name)).sort()];
  return {
    groups: groups.map((group) => keyLabel(group.key)),
    series: order.map((category) => ({
      category,
      values: groups.map((group) => {
        const part = group.categories?.[category];
        return part ? weightedIn(part, currency) : 0;
      }),
    })),
  };
}

export function stackedOption(stacked: Stacked, categoryLabel: (name: string) => string, format: Format): EChartsCoreOption {
  return {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (value: unknown) => format(Number(value)) },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: stacked.groups, axisLabel: { interval: 0, rotate: stacked.groups.length > 6 ? 30 : 0 } },
    yAxis: { type: "value", axisLabel: { formatter: format } },
    series: stacked.series.map((serie) => ({
      name: categoryLabel(serie.category),
      type: "bar",
      stack: "weighted",
      emphasis: { focus: "series" },
      itemStyle: { color: CATEGORY_COLORS[serie.category] },
      data: serie.values,
    })),
  };
}

export interface Attainment {
  key: string;
  target: Money;
  /** won / target, as the API computed it (0.25 is 25%) */
  attainment: number;
}

/** The groups that have a target (owners or teams), with their attainment. */
export function attainments(groups: GroupFigures[], keyLabel: (key: string | null) => string): Attainment[] {
  return groups.flatMap((group) =>
    group.target ? [{ key: keyLabel(group.key), target: group.target, attainment: group.attainment ?? 0 }] : [],
  );
}

/** Attainment in percent per owner or team, the target drawn as a marker line at 100%. */
export function attainmentOption(rows: Attainment[], labels: { attainment: string; target: string }): EChartsCoreOption {
  const percent = (value: number) => `${Math.round(value * 1000) / 10}%`;
  return {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (value: unknown) => percent(Number(value) / 100) },
    grid: { left: 8, right: 48, top: 24, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: rows.map((row) => row.key) },
    yAxis: { type: "value", axisLabel: { formatter: "{value}%" }, max: (extent: { max: number }) => Math.max(110, Math.ceil(extent.max / 10) * 10) },
    series: [
      {
        name: labels.attainment,
        type: "bar",
        data: rows.map((row) => Math.round(row.attainment * 1000) / 10),
        itemStyle: { color: "#0958d9" },
        label: { show: true, position: "top", formatter: (item: { value: number }) => `${item.value}%` },
        markLine: {
          symbol: "none",
          lineStyle: { color: "#cf1322", type: "dashed", width: 2 },
          label: { formatter: labels.target, position: "end" },
          data: [{ yAxis: 100 }],
        },
      },
    ],
  };
}

export const PIECES = ["new", "pulled_in", "slipped_out", "value_changes", "stage_moves", "won", "lost"] as const;

export interface Waterfall {
  /** "before", the pieces, "after" */
  steps: string[];
  /** the transparent bar each visible bar stands on */
  base: number[];
  /** the before and after totals (0 on the pieces) */
  total: number[];
  increase: number[];
  decrease: number[];
}

/** The bridge from the weighted forecast before to after: each piece stands on the running
 * total (a rise from it, a fall down to it), the two totals from zero. */
export function waterfall(before: number, pieces: Record<(typeof PIECES)[number], number>): Waterfall {
  const result: Waterfall = { steps: ["before"], base: [0], total: [before], increase: [0], decrease: [0] };
  let running = before;
  for (const piece of PIECES) {
    const change = pieces[piece];
    result.steps.push(piece);
    result.base.push(Math.min(running, running + change));
    result.total.push(0);
    result.increase.push(Math.max(change, 0));
    result.decrease.push(Math.max(-change, 0));
    running += change;
  }
  result.steps.push("after");
  result.base.push(0);
  result.total.push(running);
  result.increase.push(0);
  result.decrease.push(0);
  return result;
}

export function piecesIn(pieces: Pieces, currency: string): Record<(typeof PIECES)[number], number> {
  return Object.fromEntries(PIECES.map((piece) => [piece, amountIn(pieces[piece], currency)])) as Record<(typeof PIECES)[number], number>;
}

export function waterfallOption(bridge: Waterfall, stepLabel: (step: string) => string, labels: { total: string; increase: string; decrease: string }, format: Format): EChartsCoreOption {
  const bar = (name: string, data: number[], color: string) => ({ name, type: "bar", stack: "bridge", data, itemStyle: { color }, emphasis: { disabled: true } });
  return {
    tooltip: {
      trigger: "axis",
      axisPointer: { type: "shadow" },
      // the transparent base is scaffolding, not a figure: the tooltip leaves it out
      formatter: (items: { seriesName: string; value: number; name: string }[]) =>
        [items[0]?.name ?? "", ...items.filter((item) => item.seriesName !== "base" && item.value).map((item) => `${item.seriesName}: ${format(item.value)}`)].join("<br/>"),
    },
    legend: { top: 0, data: [labels.total, labels.increase, labels.decrease] },
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: bridge.steps.map(stepLabel) },
    yAxis: { type: "value", axisLabel: { formatter: format } },
    series: [
      { name: "base", type: "bar", stack: "bridge", data: bridge.base, itemStyle: { color: "transparent", borderColor: "transparent" }, emphasis: { disabled: true }, tooltip: { show: false } },
      bar(labels.total, bridge.total, "#0958d9"),
      bar(labels.increase, bridge.increase, "#389e0d"),
      bar(labels.decrease, bridge.decrease, "#cf1322"),
    ],
  };
}

/** Stage conversion as a funnel: deals that reached each stage, in the API's order. */
export function funnelOption(stages: Schemas["StageReach"][], stageName: (stage: string) => string): EChartsCoreOption {
  return {
    tooltip: { trigger: "item", formatter: "{b}: {c}" },
    series: [
      {
        type: "funnel",
        sort: "none",
        left: "10%",
        width: "80%",
        minSize: "8%",
        label: { show: true, position: "inside", formatter: "{b}: {c}" },
        data: stages.map((stage) => ({ name: stageName(stage.stage), value: stage.reached })),
      },
    ],
  };
}

/** Simple bars of one number per key (win rate, days in stage, source value). */
export function barsOption(keys: string[], series: { name: string; values: (number | null)[] }[], format: Format): EChartsCoreOption {
  return {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (value: unknown) => (value == null ? "—" : format(Number(value))) },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: keys },
    yAxis: { type: "value", axisLabel: { formatter: format } },
    series: series.map((serie) => ({ name: serie.name, type: "bar", data: serie.values.map((value) => value ?? "-") })),
  };
}

/** The backtest: the weighted forecast as it stood each week, beside what the period
 * actually won (the same at every point: the outcome), and the error between them. */
export function accuracyOption(report: Schemas["Accuracy"], currency: string, labels: { forecast: string; won: string; error: string }, formatDate: (iso: string) => string, format: Format): EChartsCoreOption {
  return {
    tooltip: { trigger: "axis", valueFormatter: (value: unknown) => format(Number(value)) },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: report.points.map((point) => formatDate(point.as_of)) },
    yAxis: { type: "value", axisLabel: { formatter: format } },
    series: [
      { name: labels.forecast, type: "line", data: report.points.map((point) => amountIn(point.forecast, currency)) },
      { name: labels.won, type: "line", symbol: "none", lineStyle: { type: "dashed" }, data: report.points.map((point) => amountIn(point.won, currency)) },
      { name: labels.error, type: "line", data: report.points.map((point) => amountIn(point.error, currency)) },
    ],
  };
}

/** A compact axis figure in the reader's locale (12.5万, 125K). */
export function compactNumber(locale: string): Format {
  const formatter = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
  return (value) => formatter.format(value);
}

/** The what-if of stage probabilities (POST /forecast/what-if/probabilities): each week's
 * forecast as shown, as the other probabilities would have shown it, and what was won. */
export function whatIfOption(answer: Schemas["ProbabilitiesWhatIfAnswer"], currency: string, labels: { shown: string; alternative: string; won: string }, formatDate: (iso: string) => string, format: Format): EChartsCoreOption {
  return {
    tooltip: { trigger: "axis", valueFormatter: (value: unknown) => format(Number(value)) },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: answer.points.map((point) => formatDate(point.as_of)) },
    yAxis: { type: "value", axisLabel: { formatter: format } },
    series: [
      { name: labels.shown, type: "line", data: answer.points.map((point) => amountIn(point.in_force.forecast, currency)) },
      { name: labels.alternative, type: "line", data: answer.points.map((point) => amountIn(point.alternative.forecast, currency)) },
      { name: labels.won, type: "line", symbol: "none", lineStyle: { type: "dashed" }, data: answer.points.map((point) => amountIn(point.won, currency)) },
    ],
  };
}
