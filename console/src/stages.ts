/** The admin's stage-set editor: the rows as edited, moved and added, the body the API takes,
 * and the API's refusals placed on the rows they name. */
import type { Schemas } from "./api/client";

export type Stage = Schemas["Stage"];
export const CATEGORIES: Stage["forecast_category"][] = ["pipeline", "best_case", "commit", "closed", "omitted"];
export const STATES: Stage["state"][] = ["open", "won", "lost"];
export const CRITERIA: Stage["exit_criteria"][number][] = ["value", "expected_close_date", "contacts", "decision_maker", "competitors"];

/** A row of the editor: the stage, and whether it is new here (only a new stage's key may change). */
export interface StageRow {
  id: string;
  stage: Stage;
  added: boolean;
}

export function rowsOf(stages: Stage[]): StageRow[] {
  return stages.map((stage) => ({ id: stage.key, stage, added: false }));
}

/** The rows with the one at `from` put at `to` (out-of-range moves change nothing). */
export function moveRow<T>(rows: T[], from: number, to: number): T[] {
  if (from === to || from < 0 || to < 0 || from >= rows.length || to >= rows.length) return rows;
  const moved = [...rows];
  const [row] = moved.splice(from, 1);
  moved.splice(to, 0, row);
  return moved;
}

/** A new open stage; the admin names its key and labels. */
export function blankRow(serial: number): StageRow {
  return {
    id: `new-${serial}`,
    added: true,
    stage: { key: "", labels: { zh: "", en: "" }, probability: 0, forecast_category: "pipeline", state: "open", exit_criteria: [], required_tasks: [], retired: false },
  };
}

/** PUT /pipeline/pipelines/{id}'s body: every stage in order, the retired ones too (a stage
 * is never deleted), labels without empty languages. */
export function defineBody(rows: StageRow[]): Schemas["DefinePipeline"] {
  return {
    stages: rows.map(({ stage }) => ({
      ...stage,
      key: stage.key.trim(),
      labels: Object.fromEntries(
        Object.entries(stage.labels)
          .map(([language, label]) => [language, label.trim()])
          .filter(([, label]) => label),
      ),
    })),
  };
}

export interface FieldProblem {
  /** the row the problem is on, if it names one */
  row: number | null;
  /** the field, named as the API names it (`probability`, `labels`, `stages`, …) */
  field: string;
  message: string;
}

/** A 422's problems, each with the row and field it names (`["body","stages",2,"probability"]`);
 * `list` is the body's field holding the rows (`stages`, or `rules` for the assignment rules). */
export function fieldProblems(error: unknown, list = "stages"): FieldProblem[] {
  const detail = (error as { detail?: unknown } | null)?.detail;
  if (!Array.isArray(detail)) return [];
  return detail.map((problem: { loc?: (string | number)[]; msg?: string }) => {
    const loc = (problem.loc ?? []).filter((part) => part !== "body");
    const rowAt = loc[0] === list && typeof loc[1] === "number" ? loc[1] : null;
    const field = (rowAt === null ? loc : loc.slice(2)).filter((part) => typeof part === "string").join(".") || list;
    return { row: rowAt, field, message: problem.msg ?? "" };
  });
}
