/** A batch of leads and deals for the assignment rules: the open leads in reach, the pool and
 * the registrations nobody owns yet. A dry run shows, per item, whom the rules would pick, the
 * rule that decided and why the earlier ones did not (nothing is recorded); applying
 * (re)assigns the batch and shows what happened to each item. */
import { App as AntApp, Alert, Button, Card, Select, Space, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../api/client";
import { batchIds, type Rule } from "../assignment";

type Lead = Schemas["LeadView"];
type Applied = Schemas["AppliedView"];
const LIMIT = 100;
// solid colours dark enough for white text (WCAG AA, checked by axe)
const OUTCOME_COLOURS: Record<Applied["outcome"], string | undefined> = { assigned: "#237804", unassigned: "#ad4e00", unchanged: undefined, refused: "#a8071a" };

/** One item's answer, dry run or applied: the key is `lead:<id>` / `deal:<id>`. */
interface Answer {
  key: string;
  ownerNow: string | null;
  owner: string | null;
  rule: string | null;
  reasons: string[];
  outcome?: Applied["outcome"];
}

function Reasons({ reasons }: { reasons: string[] }) {
  if (!reasons.length) return <Typography.Text type="secondary">—</Typography.Text>;
  return (
    <ul style={{ margin: 0, paddingLeft: 18 }}>
      {reasons.map((why, index) => (
        <li key={index}>{why}</li>
      ))}
    </ul>
  );
}

export default function AssignmentBatch({ rules }: { rules: Rule[] }) {
  const { t } = useTranslation();
  const { message } = AntApp.useApp();
  const [leads, setLeads] = useState<Lead[]>([]);
  const [deals, setDeals] = useState<{ id: string; label: string }[]>([]);
  const [chosenLeads, setChosenLeads] = useState<string[]>([]);
  const [chosenDeals, setChosenDeals] = useState<string[]>([]);
  const [answers, setAnswers] = useState<Answer[] | null>(null);
  const [applied, setApplied] = useState(false);
  const [busy, setBusy] = useState<"dry" | "apply" | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const load = useCallback(async () => {
    const [open, pool, pending] = await Promise.all([
      api.GET("/registration/leads", { params: { query: { status: "open", sort: "captured_at", limit: LIMIT } } }),
      api.GET("/registration/pool", { params: { query: { limit: LIMIT } } }),
      api.GET("/registration/deals", { params: { query: { status: "pending", limit: LIMIT } } }),
    ]);
    setLeads(open.data?.items ?? []);
    const inPool = (pool.data?.items ?? []).map((d) => ({ id: d.deal_id, label: `${d.name} · ${d.account_name} · ${t("assignment.inPool")}` }));
    const ownerless = (pending.data?.items ?? [])
      .filter((d) => d.owner_id === null)
      .map((d) => ({ id: d.deal_id, label: `${d.name} · ${d.account_name} · ${t("assignment.noOwner")}` }));
    setDeals([...inPool, ...ownerless]);
  }, [t]);

  useEffect(() => {
    void load();
  }, [load]);

  const labels = useMemo(() => {
    const named = new Map<string, string>();
    for (const lead of leads) named.set(`lead:${lead.lead_id}`, `${lead.company} · ${lead.region ?? "—"} · ${lead.owner_id}`);
    for (const deal of deals) named.set(`deal:${deal.id}`, deal.label);
    return named;
  }, [leads, deals]);
  const chosen = [...chosenLeads, ...chosenDeals];

  const dryRun = async () => {
    setBusy("dry");
    setFailure(null);
    const open = new Set(leads.map((lead) => `lead:${lead.lead_id}`));
    // a lead converted or disqualified since the list was read has left it: it is not asked
    // about; the service reads each lead and deal as applying would (a deal's region is its lead's)
    const { lead_ids, deal_ids } = batchIds([...chosenLeads.filter((key) => open.has(key)), ...chosenDeals]);
    const { data, error } = await api.POST("/registration/assignment-rules/dry-run", { body: { lead_ids, deal_ids } });
    setBusy(null);
    if (!data) return setFailure(reason(error));
    setApplied(false);
    setAnswers(
      data.decisions.map((d) => ({ key: d.ref ?? "", ownerNow: d.owner_now ?? null, owner: d.owner_id, rule: d.rule, reasons: d.reasons })),
    );
  };

  const apply = async () => {
    setBusy("apply");
    setFailure(null);
    const { data, error } = await api.POST("/registration/assignment-rules/apply", { body: batchIds(chosen) });
    setBusy(null);
    if (!data) return setFailure(reason(error));
    setApplied(true);
    setAnswers(data.items.map((item) => ({ key: `${item.kind}:${item.id}`, ownerNow: null, owner: item.owner_id, rule: item.rule, reasons: item.reasons, outcome: item.outcome })));
    void message.success(t("assignment.appliedCount", { count: data.items.filter((item) => item.outcome === "assigned").length }));
    void load(); // the leads' owners have changed
  };

  return (
    <Card size="small" title={t("assignment.batch")}>
      <Space direction="vertical" style={{ width: "100%" }}>
        <Typography.Text type="secondary">{t("assignment.batchHint")}</Typography.Text>
        <Space wrap align="start">
          <Typography.Text>{t("assignment.chooseLeads")}</Typography.Text>
          <Select
            mode="multiple"
            aria-label={t("assignment.chooseLeads")}
            value={chosenLeads}
            onChange={setChosenLeads}
            optionFilterProp="label"
            options={leads.map((lead) => ({ value: `lead:${lead.lead_id}`, label: labels.get(`lead:${lead.lead_id}`) }))}
            style={{ minWidth: 360 }}
          />
          <Typography.Text>{t("assignment.chooseDeals")}</Typography.Text>
          <Select
            mode="multiple"
            aria-label={t("assignment.chooseDeals")}
            value={chosenDeals}
            onChange={setChosenDeals}
            optionFilterProp="label"
            options={deals.map((deal) => ({ value: `deal:${deal.id}`, label: deal.label }))}
            style={{ minWidth: 360 }}
          />
          <Button disabled={!chosen.length || !rules.length} loading={busy === "dry"} onClick={() => void dryRun()}>
            {t("assignment.dryRun")}
          </Button>
          <Button type="primary" disabled={!chosen.length} loading={busy === "apply"} onClick={() => void apply()}>
            {t("assignment.apply")}
          </Button>
        </Space>
        {failure && <Alert type="error" role="alert" showIcon title={failure} />}
        {answers && (
          <Table<Answer>
            size="small"
            rowKey="key"
            pagination={false}
            aria-label={applied ? t("assignment.appliedTitle") : t("assignment.dryRunTitle")}
            title={() => <Typography.Text strong>{applied ? t("assignment.appliedTitle") : t("assignment.dryRunTitle")}</Typography.Text>}
            dataSource={answers}
            columns={[
              { title: t("assignment.item"), key: "item", render: (_: unknown, a) => labels.get(a.key) ?? a.key },
              ...(applied
                ? [
                    {
                      title: t("assignment.outcome"),
                      key: "outcome",
                      render: (_: unknown, a: Answer) => <Tag color={a.outcome ? OUTCOME_COLOURS[a.outcome] : undefined}>{t(`assignment.outcomes.${a.outcome}`)}</Tag>,
                    },
                  ]
                : [{ title: t("assignment.ownerNow"), key: "now", render: (_: unknown, a: Answer) => a.ownerNow ?? "—" }]),
              { title: applied ? t("assignment.owner") : t("assignment.wouldGo"), key: "owner", render: (_: unknown, a) => a.owner ?? t("assignment.nobody") },
              { title: t("assignment.decidedBy"), key: "rule", render: (_: unknown, a) => a.rule ?? "—" },
              { title: t("assignment.why"), key: "why", render: (_: unknown, a) => <Reasons reasons={a.reasons} /> },
            ]}
          />
        )}
      </Space>
    </Card>
  );
}
