/** The assignment rules (线索分配): the rules in force with their version, who set each
 * version and when, the admin's editor, and a dry run (and, for the batch, applying them) of a
 * batch of leads and deals. Managers and admins are offered the page; others see a 403. */
import { Card, Result, Space, Spin, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../api/client";
import { conditionsOf, type Rule } from "../assignment";
import { dateTime } from "../format";
import { canDefineAssignmentRules, canSeeAssignmentRules, type Session } from "../session";
import AssignmentBatch from "./AssignmentBatch";
import AssignmentRuleEditor from "./AssignmentRuleEditor";

type InForce = Schemas["AssignmentRulesView"];

/** One rule in a line: its conditions, then its team or rep (and strategy within a team). */
export function RuleSummary({ rule }: { rule: Rule }) {
  const { t } = useTranslation();
  const conditions = conditionsOf(rule.when);
  return (
    <Space size={4} wrap>
      {conditions.length ? (
        conditions.map((c) => <Tag key={c.condition}>{`${t(`assignment.conditions.${c.condition}`)}: ${c.text}`}</Tag>)
      ) : (
        <Typography.Text type="secondary">{t("assignment.anything")}</Typography.Text>
      )}
      <Typography.Text>→</Typography.Text>
      <Typography.Text strong>{rule.to.rep ? t("assignment.toRep", { rep: rule.to.rep }) : t("assignment.toTeam", { team: rule.to.team })}</Typography.Text>
      {!rule.to.rep && <Typography.Text type="secondary">({t(`assignment.strategies.${rule.strategy}`)})</Typography.Text>}
    </Space>
  );
}

function RulesTable({ rules }: { rules: Rule[] }) {
  const { t } = useTranslation();
  return (
    <Table<Rule>
      size="small"
      pagination={false}
      rowKey="name"
      dataSource={rules}
      locale={{ emptyText: <Typography.Text type="secondary">{t("assignment.none")}</Typography.Text> }}
      columns={[
        { title: t("assignment.order"), key: "order", width: 70, render: (_: unknown, _rule, index) => index + 1 },
        { title: t("assignment.name"), dataIndex: "name", key: "name" },
        { title: t("assignment.rule"), key: "rule", render: (_: unknown, rule) => <RuleSummary rule={rule} /> },
      ]}
    />
  );
}

export default function AssignmentRulesPage({ session }: { session: Session }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const allowed = canSeeAssignmentRules(session);
  const [inForce, setInForce] = useState<InForce | null>(null);
  const [history, setHistory] = useState<InForce[]>([]);
  const [failure, setFailure] = useState<string | null>(null);

  const loadHistory = useCallback(async () => {
    const { data } = await api.GET("/registration/assignment-rules/history");
    if (data) setHistory([...data.versions].reverse()); // newest first
  }, []);

  useEffect(() => {
    if (!allowed) return;
    void api.GET("/registration/assignment-rules").then(({ data, error }) => (data ? setInForce(data) : setFailure(reason(error))));
    void loadHistory();
  }, [allowed, loadHistory]);

  if (!allowed) return <Result status="403" title={t("assignment.forbidden")} />;
  if (failure && !inForce) return <Result status="error" title={t("board.failed", { reason: failure })} />;
  if (!inForce) return <Spin />;

  const saved = (next: InForce) => {
    setInForce(next);
    void loadHistory();
  };
  const setBy = inForce.defined_by
    ? t("assignment.setBy", { user: inForce.defined_by, at: inForce.defined_at ? dateTime(inForce.defined_at, language) : "—" })
    : t("assignment.neverSet");

  return (
    <main>
      <Space style={{ marginBottom: 12 }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("assignment.title")}
        </Typography.Title>
        <Tag color="#0958d9" data-testid="rules-version">
          {t("assignment.version", { version: inForce.version })}
        </Tag>
        <Typography.Text type="secondary">{setBy}</Typography.Text>
      </Space>
      <Typography.Paragraph type="secondary">{t("assignment.hint")}</Typography.Paragraph>
      <Card size="small" title={t("assignment.inForce")} style={{ marginBottom: 12 }}>
        {canDefineAssignmentRules(session) ? (
          <AssignmentRuleEditor key={inForce.version} inForce={inForce} onSaved={saved} />
        ) : (
          <RulesTable rules={inForce.rules} />
        )}
      </Card>
      <AssignmentBatch rules={inForce.rules} />
      <Card size="small" title={t("assignment.history")} style={{ marginTop: 12 }}>
        <Table<InForce>
          size="small"
          rowKey="version"
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          dataSource={history}
          locale={{ emptyText: <Typography.Text type="secondary">{t("assignment.neverSet")}</Typography.Text> }}
          columns={[
            { title: t("assignment.versionColumn"), dataIndex: "version", key: "version", width: 90 },
            { title: t("assignment.definedBy"), dataIndex: "defined_by", key: "by", width: 140 },
            {
              title: t("assignment.definedAt"),
              key: "at",
              width: 200,
              render: (_: unknown, v) => (v.defined_at ? dateTime(v.defined_at, language) : "—"),
            },
            {
              title: t("assignment.rules"),
              key: "rules",
              render: (_: unknown, v) =>
                v.rules.length ? (
                  <ol style={{ margin: 0, paddingLeft: 20 }}>
                    {v.rules.map((rule) => (
                      <li key={rule.name}>
                        <Typography.Text>{rule.name}: </Typography.Text>
                        <RuleSummary rule={rule} />
                      </li>
                    ))}
                  </ol>
                ) : (
                  <Typography.Text type="secondary">{t("assignment.none")}</Typography.Text>
                ),
            },
          ]}
        />
      </Card>
    </main>
  );
}
