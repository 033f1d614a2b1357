import { describe, expect, it } from "vitest";
import { batchIds, blankRule, conditionsOf, defineBody, names, rowsOf, type Rule } from "../assignment";
import { fieldProblems } from "../stages";

const EAST: Rule = { name: "east", when: { region: "华东", min_value: "1000.00", currency: "CNY" }, to: { rep: "rep-1" }, strategy: "round_robin" };
const WEB: Rule = { name: "web", when: { source: "website", currency: "CNY" }, to: { team: "east" }, strategy: "least_loaded" };

describe("the rules as the editor's rows", () => {
  it("keeps each rule's conditions, its team or rep and its strategy, in order", () => {
    const rows = rowsOf([EAST, WEB]);
    expect(rows.map((row) => row.name)).toEqual(["east", "web"]);
    expect(rows[0]).toMatchObject({ kind: "rep", target: "rep-1", when: { region: "华东", min_value: "1000.00", industry: "", max_value: "" } });
    expect(rows[1]).toMatchObject({ kind: "team", target: "east", strategy: "least_loaded", when: { source: "website", region: "" } });
  });

  it("gives back the same rules it was made of, every empty condition left out", () => {
    expect(defineBody(rowsOf([EAST, WEB]))).toEqual({
      rules: [
        { name: "east", when: { region: "华东", min_value: "1000.00", currency: "CNY" }, to: { rep: "rep-1" }, strategy: "round_robin" },
        { name: "web", when: { source: "website", currency: "CNY" }, to: { team: "east" }, strategy: "least_loaded" },
      ],
    });
  });

  it("trims what the admin typed and sends an empty target for the API to name", () => {
    const row = { ...blankRule(1), name: "  fair ", when: { ...blankRule(1).when, region: " 华南 ", max_value: "  " } };
    expect(defineBody([row]).rules[0]).toEqual({ name: "fair", when: { region: "华南" }, to: { team: "" }, strategy: "round_robin" });
  });

  it("gives each new rule its own row id", () => {
    expect(blankRule(1).id).not.toEqual(blankRule(2).id);
  });
});

describe("the API's refusals placed on the rules", () => {
  const refusal = {
    detail: [
      { loc: ["body", "rules", 1, "when", "min_value"], msg: "Input should be greater than or equal to 0" },
      { loc: ["body", "rules", 0, "to"], msg: "Value error, name exactly one of team and rep" },
      { loc: ["body", "rules", 2, "when"], msg: "Value error, min_value must not exceed max_value" },
      { loc: ["body", "rules"], msg: "Value error, each rule needs its own name" },
    ],
  };
  const problems = fieldProblems(refusal, "rules");

  it("names the rule and the field of each problem, and the whole list when it names no rule", () => {
    expect(problems.map((p) => [p.row, p.field])).toEqual([
      [1, "when.min_value"],
      [0, "to"],
      [2, "when"],
      [null, "rules"],
    ]);
  });

  it("marks exactly the fields a problem names", () => {
    expect(names(problems[0], 1, "when.min_value")).toBe(true);
    expect(names(problems[0], 1, "when.max_value")).toBe(false);
    expect(names(problems[0], 0, "when.min_value")).toBe(false);
    expect(names(problems[1], 0, "to.team")).toBe(true);
    expect(names(problems[1], 0, "name")).toBe(false);
    expect(names(problems[2], 2, "when.max_value")).toBe(true);
    expect(names(problems[2], 2, "when.region")).toBe(false);
    expect(names(problems[3], 0, "name")).toBe(false);
  });

  it("still reads a stage set's refusals as before", () => {
    expect(fieldProblems({ detail: [{ loc: ["body", "stages", 2, "probability"], msg: "too big" }] })).toEqual([
      { row: 2, field: "probability", message: "too big" },
    ]);
  });
});

describe("a rule's conditions in a line", () => {
  it("lists the text conditions in order, then the value range once", () => {
    expect(conditionsOf({ industry: "制造", region: "华东", min_value: "10", max_value: "20" })).toEqual([
      { condition: "region", text: "华东" },
      { condition: "industry", text: "制造" },
      { condition: "value", text: "10 – 20" },
    ]);
    expect(conditionsOf({ max_value: "5" })).toEqual([{ condition: "value", text: "≤ 5" }]);
    expect(conditionsOf({})).toEqual([]);
  });
});

describe("a batch as the rules look at it", () => {
  it("splits the chosen items into the leads and the deals to apply the rules to", () => {
    expect(batchIds(["lead:a", "deal:b", "lead:c"])).toEqual({ lead_ids: ["a", "c"], deal_ids: ["b"] });
    expect(batchIds([])).toEqual({ lead_ids: [], deal_ids: [] });
  });
});

describe("a rule's value bounds and their currency", () => {
  it("says the currency beside the range and sends it only when given", () => {
    expect(conditionsOf({ min_value: "10", currency: "USD" })).toEqual([{ condition: "value", text: "≥ 10 USD" }]);
    const row = { ...blankRule(1), name: "usd", target: "rep-1", kind: "rep" as const };
    expect(defineBody([{ ...row, when: { ...row.when, min_value: "10", currency: "USD" } }]).rules[0].when).toEqual({ min_value: "10", currency: "USD" });
    expect(defineBody([row]).rules[0].when).toEqual({});
  });
});
