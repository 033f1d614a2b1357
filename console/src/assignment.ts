/** The assignment rules' page (线索分配): the rules as the admin edits them, the body PUT
 * /registration/assignment-rules takes, the API's refusals placed on the fields they name, and
 * a batch's leads and deals split by kind (the service reads each as the rules look at it). */
import type { Schemas } from "./api/client";
import type { FieldProblem } from "./stages";

export type Rule = Schemas["AssignmentRule-Output"];
export type Strategy = Rule["strategy"];
export const STRATEGIES: Strategy[] = ["round_robin", "least_loaded"];
/** The conditions compared as text (case aside), in the order the editor shows them. */
export const TEXT_CONDITIONS = ["region", "industry", "source", "customer_level", "product_line"] as const;
export type TextCondition = (typeof TEXT_CONDITIONS)[number];
export type Condition = TextCondition | "min_value" | "max_value" | "currency";
export type TargetKind = "team" | "rep";

/** A row of the editor: every field as typed (an empty one is a condition left out). */
export interface RuleRow {
  id: string;
  name: string;
  when: Record<Condition, string>;
  kind: TargetKind;
  target: string;
  strategy: Strategy;
}

const NO_CONDITIONS: Record<Condition, string> = {
  region: "",
  industry: "",
  source: "",
  customer_level: "",
  product_line: "",
  min_value: "",
  max_value: "",
  currency: "", // the value bounds' (left empty: CNY)
};

export function rowsOf(rules: Rule[]): RuleRow[] {
  return rules.map((rule, index) => ({
    id: `rule-${index}`,
    name: rule.name,
    when: Object.fromEntries(
      Object.keys(NO_CONDITIONS).map((key) => [key, String(rule.when[key as Condition] ?? "")]),
    ) as Record<Condition, string>,
    kind: rule.to.rep ? "rep" : "team",
    target: rule.to.rep ?? rule.to.team ?? "",
    strategy: rule.strategy,
  }));
}

/** A new rule with no conditions (it would match anything): the admin fills it in. */
export function blankRule(serial: number): RuleRow {
  return { id: `new-${serial}`, name: "", when: { ...NO_CONDITIONS }, kind: "team", target: "", strategy: "round_robin" };
}

/** PUT /registration/assignment-rules' body: the rules in order, each condition left empty
 * left out. What the admin typed is sent as typed (trimmed): the API names what it refuses. */
export function defineBody(rows: RuleRow[]): Schemas["DefineAssignmentRules"] {
  return {
    rules: rows.map((row) => ({
      name: row.name.trim(),
      when: Object.fromEntries(
        Object.entries(row.when)
          .map(([key, value]) => [key, value.trim()])
          .filter(([, value]) => value !== ""),
      ),
      to: { [row.kind]: row.target.trim() },
      strategy: row.strategy,
    })),
  };
}

/** Whether a problem names this field of this row: `when.min_value` exactly; `to` (one of team
 * and rep) the target; `when` itself (its minimum above its maximum) the two values. */
export function names(problem: FieldProblem, row: number, field: string): boolean {
  if (problem.row !== row) return false;
  if (problem.field === field || (problem.field === "to" && field.startsWith("to."))) return true;
  return problem.field === "when" && (field === "when.min_value" || field === "when.max_value");
}

/** A rule's conditions as (condition, text) pairs: `value` once for its range. */
export function conditionsOf(when: Partial<Rule["when"]>): { condition: TextCondition | "value"; text: string }[] {
  const parts: { condition: TextCondition | "value"; text: string }[] = [];
  for (const condition of TEXT_CONDITIONS) {
    const wanted = when[condition];
    if (wanted) parts.push({ condition, text: wanted });
  }
  const low = when.min_value ?? null;
  const high = when.max_value ?? null;
  const unit = when.currency ? ` ${when.currency}` : ""; // a bound is in the rule's currency
  if (low !== null && high !== null) parts.push({ condition: "value", text: `${low} – ${high}${unit}` });
  else if (low !== null) parts.push({ condition: "value", text: `≥ ${low}${unit}` });
  else if (high !== null) parts.push({ condition: "value", text: `≤ ${high}${unit}` });
  return parts;
}

/** The ids of a batch chosen as `lead:<id>` / `deal:<id>`, split for POST …/apply. */
export function batchIds(chosen: string[]): { lead_ids: string[]; deal_ids: string[] } {
  const of = (kind: string) => chosen.filter((key) => key.startsWith(`${kind}:`)).map((key) => key.slice(kind.length + 1));
  return { lead_ids: of("lead"), deal_ids: of("deal") };
}
