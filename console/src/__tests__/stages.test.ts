import { describe, expect, it } from "vitest";
import { blankRow, defineBody, fieldProblems, moveRow, rowsOf, type Stage } from "../stages";

const stage = (key: string, zh: string, en: string, probability = 10): Stage => ({
  key,
  labels: { zh, en },
  probability,
  forecast_category: "pipeline",
  state: "open",
  exit_criteria: [],
  required_tasks: [],
  retired: false,
});

describe("moving a stage in the set", () => {
  const rows = ["a", "b", "c", "d"];

  it("puts the row at its new place, the others keeping their order", () => {
    expect(moveRow(rows, 0, 2)).toEqual(["b", "c", "a", "d"]);
    expect(moveRow(rows, 3, 1)).toEqual(["a", "d", "b", "c"]);
  });

  it("leaves the rows as they were for a move off either end or onto itself", () => {
    expect(moveRow(rows, 0, -1)).toBe(rows);
    expect(moveRow(rows, 3, 4)).toBe(rows);
    expect(moveRow(rows, 2, 2)).toBe(rows);
    expect(rows).toEqual(["a", "b", "c", "d"]);
  });
});

describe("the body saved with PUT /pipeline/pipelines/{id}", () => {
  it("sends every stage in order, retired ones too, keys and labels trimmed and empty labels left out", () => {
    const rows = rowsOf([stage("prospecting", "初步接触", "Prospecting"), { ...stage("old", "旧", "Old"), retired: true }]);
    const added = blankRow(1);
    added.stage = { ...added.stage, key: " demo ", labels: { zh: " 演示 ", en: "" } };
    const body = defineBody([...rows, added]);
    expect(body.stages.map((s) => [s.key, s.labels, s.retired])).toEqual([
      ["prospecting", { zh: "初步接触", en: "Prospecting" }, false],
      ["old", { zh: "旧", en: "Old" }, true],
      ["demo", { zh: "演示" }, false],
    ]);
  });

  it("marks only added rows as new, so only their keys are editable", () => {
    expect(rowsOf([stage("a", "甲", "A")])[0].added).toBe(false);
    expect(blankRow(2)).toMatchObject({ id: "new-2", added: true, stage: { key: "", state: "open", retired: false } });
  });
});

describe("the API's 422 placed on the form", () => {
  it("names the row and the field of each refused value", () => {
    const error = {
      detail: [
        { loc: ["body", "stages", 2, "probability"], msg: "Input should be less than or equal to 100", type: "less_than_equal" },
        { loc: ["body", "stages", 0, "labels", "en"], msg: "bad", type: "value_error" },
        { loc: ["body", "stages"], msg: "a stage set needs at least one won stage that is not retired", type: "value_error" },
      ],
    };
    expect(fieldProblems(error)).toEqual([
      { row: 2, field: "probability", message: "Input should be less than or equal to 100" },
      { row: 0, field: "labels.en", message: "bad" },
      { row: null, field: "stages", message: "a stage set needs at least one won stage that is not retired" },
    ]);
  });

  it("finds no field problem in an answer that is not a 422 list", () => {
    expect(fieldProblems({ detail: "a rep may not define a stage set" })).toEqual([]);
    expect(fieldProblems(null)).toEqual([]);
  });
});
