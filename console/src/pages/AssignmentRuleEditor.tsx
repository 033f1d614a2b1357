/** The admin's editor of the assignment rules: the ordered list (the first rule a lead or deal
 * meets decides), each rule's conditions, its team or rep and the strategy within a team; add,
 * remove, move, save the whole list as a new version. The API's refusals (422) are listed above
 * the table and beside the rule they name, and the fields they name are marked. */
import { App as AntApp, Alert, Button, Input, Select, Space, Table, Typography } from "antd";
import { useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason } from "../api/client";
import { blankRule, defineBody, names, rowsOf, STRATEGIES, TEXT_CONDITIONS, type Condition, type RuleRow, type TargetKind } from "../assignment";
import { fieldProblems, moveRow, type FieldProblem } from "../stages";
import type { Schemas } from "../api/client";

type InForce = Schemas["AssignmentRulesView"];
const CONDITIONS: Condition[] = [...TEXT_CONDITIONS, "min_value", "max_value", "currency"];

export default function AssignmentRuleEditor({ inForce, onSaved }: { inForce: InForce; onSaved: (saved: InForce) => void }) {
  const { t } = useTranslation();
  const { message } = AntApp.useApp();
  const [rows, setRows] = useState<RuleRow[]>(() => rowsOf(inForce.rules));
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const serial = useRef(0);

  const nameOf = (index: number) => rows[index]?.name.trim() || t("assignment.ruleN", { n: index + 1 });
  const edit = (id: string, change: Partial<RuleRow>) => setRows(rows.map((row) => (row.id === id ? { ...row, ...change } : row)));
  const editWhen = (row: RuleRow, condition: Condition, value: string) => edit(row.id, { when: { ...row.when, [condition]: value } });
  const status = (index: number, field: string) => (problems.some((p) => names(p, index, field)) ? "error" : undefined);
  const where = (p: FieldProblem) => (p.row === null ? "" : `${t("assignment.ruleN", { n: p.row + 1 })} (${nameOf(p.row)}) · `);

  const save = async () => {
    setSaving(true);
    setProblems([]);
    setFailure(null);
    const { data, error, response } = await api.PUT("/registration/assignment-rules", { body: defineBody(rows) });
    setSaving(false);
    if (error) {
      const found = response.status === 422 ? fieldProblems(error, "rules") : [];
      if (found.length) setProblems(found);
      else setFailure(response.status === 403 ? t("assignment.forbiddenDefine") : reason(error));
      return;
    }
    setRows(rowsOf(data.rules));
    onSaved(data);
    void message.success(t("assignment.saved", { version: data.version }));
  };

  return (
    <>
      {(problems.length > 0 || failure) && (
        <Alert
          type="error"
          role="alert"
          showIcon
          style={{ marginBottom: 12 }}
          title={t("assignment.refused")}
          description={
            <ul style={{ margin: 0, paddingLeft: 20 }} aria-label={t("assignment.refused")}>
              {failure && <li>{failure}</li>}
              {problems.map((p, index) => (
                <li key={index}>{`${where(p)}${p.field}: ${p.message}`}</li>
              ))}
            </ul>
          }
        />
      )}
      <Table<RuleRow>
        size="small"
        pagination={false}
        rowKey="id"
        dataSource={rows}
        scroll={{ x: "max-content" }}
        locale={{ emptyText: <Typography.Text type="secondary">{t("assignment.none")}</Typography.Text> }}
        columns={[
          {
            title: t("assignment.order"),
            key: "order",
            render: (_: unknown, _row, index) => (
              <Space size={4}>
                <Typography.Text>{index + 1}</Typography.Text>
                <Button size="small" aria-label={t("assignment.up", { rule: nameOf(index) })} disabled={index === 0} onClick={() => setRows(moveRow(rows, index, index - 1))}>
                  ↑
                </Button>
                <Button size="small" aria-label={t("assignment.down", { rule: nameOf(index) })} disabled={index === rows.length - 1} onClick={() => setRows(moveRow(rows, index, index + 1))}>
                  ↓
                </Button>
              </Space>
            ),
          },
          {
            title: t("assignment.name"),
            key: "name",
            render: (_: unknown, row, index) => (
              <Space direction="vertical" size={2}>
                <Input
                  aria-label={t("assignment.nameOf", { n: index + 1 })}
                  value={row.name}
                  status={status(index, "name")}
                  maxLength={100}
                  onChange={(e) => edit(row.id, { name: e.target.value })}
                  style={{ width: 150 }}
                />
                {problems
                  .filter((p) => p.row === index)
                  .map((p, at) => (
                    <Typography.Text key={at} style={{ fontSize: 12, color: "#a8071a" }}>
                      {`${p.field}: ${p.message}`}
                    </Typography.Text>
                  ))}
              </Space>
            ),
          },
          ...CONDITIONS.map((condition) => ({
            title: t(`assignment.conditions.${condition}`),
            key: condition,
            render: (_: unknown, row: RuleRow, index: number) => (
              <Input
                aria-label={t("assignment.conditionOf", { condition: t(`assignment.conditions.${condition}`), rule: nameOf(index) })}
                placeholder={t("assignment.any")}
                value={row.when[condition]}
                status={status(index, `when.${condition}`)}
                inputMode={condition.endsWith("_value") ? "decimal" : undefined}
                onChange={(e) => editWhen(row, condition, e.target.value)}
                style={{ width: condition.endsWith("_value") ? 110 : 120 }}
              />
            ),
          })),
          {
            title: t("assignment.target"),
            key: "target",
            render: (_: unknown, row, index) => (
              <Space.Compact>
                <Select<TargetKind>
                  aria-label={t("assignment.kindOf", { rule: nameOf(index) })}
                  value={row.kind}
                  status={status(index, "to")}
                  onChange={(kind) => edit(row.id, { kind })}
                  options={(["team", "rep"] as const).map((kind) => ({ value: kind, label: t(`assignment.kinds.${kind}`) }))}
                  style={{ width: 90 }}
                />
                <Input
                  aria-label={t("assignment.targetOf", { rule: nameOf(index) })}
                  value={row.target}
                  status={status(index, `to.${row.kind}`)}
                  maxLength={200}
                  onChange={(e) => edit(row.id, { target: e.target.value })}
                  style={{ width: 130 }}
                />
              </Space.Compact>
            ),
          },
          {
            title: t("assignment.strategy"),
            key: "strategy",
            render: (_: unknown, row, index) => (
              <Select
                aria-label={t("assignment.strategyOf", { rule: nameOf(index) })}
                value={row.strategy}
                // a rep is a team of one: the strategy matters only within a team
                disabled={row.kind === "rep"}
                status={status(index, "strategy")}
                onChange={(strategy) => edit(row.id, { strategy })}
                options={STRATEGIES.map((s) => ({ value: s, label: t(`assignment.strategies.${s}`) }))}
                style={{ width: 140 }}
              />
            ),
          },
          {
            title: "",
            key: "remove",
            render: (_: unknown, row, index) => (
              <Button size="small" aria-label={t("assignment.removeRule", { rule: nameOf(index) })} onClick={() => setRows(rows.filter((r) => r.id !== row.id))}>
                {t("assignment.remove")}
              </Button>
            ),
          },
        ]}
      />
      <Space style={{ marginTop: 12 }}>
        <Button onClick={() => setRows([...rows, blankRule(++serial.current)])}>{t("assignment.add")}</Button>
        <Button type="primary" loading={saving} onClick={() => void save()}>
          {t("assignment.save")}
        </Button>
      </Space>
    </>
  );
}
