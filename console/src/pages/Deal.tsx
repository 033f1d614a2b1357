/** The deal page: its fields, contacts, activity timeline (and logging one, and the files
 * on each: ActivityFiles), stage history with the time spent in each stage. */
import { Alert, Button, Card, Descriptions, Form, Input, InputNumber, Result, Select, Space, Spin, Table, Tag, Timeline, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../api/client";
import { date, dateTime, duration, money, stageLabel } from "../format";
import { navigate } from "../router";
import { decimalText } from "../lineitems";
import { canWork, type Session } from "../session";
import ActivityFiles from "./ActivityFiles";
import LineItems from "./LineItems";

type Deal = Schemas["PipelineDeal"];
type Stage = Schemas["Stage"];
const KINDS = ["call", "meeting", "visit", "email", "note", "task"] as const;

export default function DealPage({ dealId, session }: { dealId: string; session: Session }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [deal, setDeal] = useState<Deal | null>(null);
  const [stages, setStages] = useState<Stage[]>([]);
  const [problem, setProblem] = useState<{ status: number; reason: string } | null>(null);
  const [logProblem, setLogProblem] = useState<string | null>(null);
  const [form] = Form.useForm<{ kind: (typeof KINDS)[number]; subject: string }>();
  const [newValue, setNewValue] = useState<number | null>(null);
  const [valueProblem, setValueProblem] = useState<string | null>(null);

  const load = useCallback(async () => {
    const [dealAnswer, stageAnswer] = await Promise.all([
      api.GET("/pipeline/deals/{deal_id}", { params: { path: { deal_id: dealId } } }),
      api.GET("/pipeline/stages"),
    ]);
    if (dealAnswer.error) {
      setProblem({ status: dealAnswer.response.status, reason: reason(dealAnswer.error) });
      return;
    }
    setProblem(null);
    setDeal(dealAnswer.data);
    if (stageAnswer.data) setStages(stageAnswer.data.stages);
  }, [dealId]);

  useEffect(() => {
    void load();
  }, [load]);

  const label = (key: string | null | undefined) => {
    if (!key) return "—";
    const stage = stages.find((s) => s.key === key);
    return stage ? stageLabel(stage.labels, key, language) : key;
  };

  const logActivity = async (values: { kind: (typeof KINDS)[number]; subject: string }) => {
    setLogProblem(null);
    const { error } = await api.POST("/pipeline/deals/{deal_id}/activities", {
      params: { path: { deal_id: dealId } },
      body: { kind: values.kind, subject: values.subject.trim() },
    });
    if (error) {
      setLogProblem(reason(error));
      return;
    }
    form.resetFields(["subject"]);
    await load();
  };

  /** A value typed by hand: only while the deal has no line items (then the API refuses it). */
  const saveValue = async () => {
    if (!deal || newValue === null) return;
    setValueProblem(null);
    const { data, error } = await api.PATCH("/pipeline/deals/{deal_id}", {
      params: { path: { deal_id: dealId } },
      body: { value: { amount: decimalText(newValue, 2), currency: deal.value.currency } },
    });
    if (data) {
      setDeal(data);
      setNewValue(null);
    } else setValueProblem(reason(error));
  };

  if (problem) {
    return (
      <Result
        status={problem.status === 403 ? "403" : problem.status === 404 ? "404" : "error"}
        title={problem.status === 403 ? t("board.forbidden", { reason: problem.reason }) : t("board.failed", { reason: problem.reason })}
        extra={<Button onClick={() => navigate("/board")}>{t("app.board")}</Button>}
      />
    );
  }
  if (!deal) return <Spin />;

  const activities = [...deal.activities].sort((a, b) => (b.occurred_at ?? b.logged_at).localeCompare(a.occurred_at ?? a.logged_at));
  return (
    <main>
      <Space style={{ marginBottom: 12 }}>
        <Button onClick={() => navigate("/board")}>← {t("app.board")}</Button>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {deal.name}
        </Typography.Title>
        {deal.outcome && <Tag color={deal.outcome === "won" ? "green" : "red"}>{t(`deal.outcome.${deal.outcome}`)}</Tag>}
        <Typography.Link
          href={`/deals/${dealId}/audit`}
          onClick={(event) => {
            event.preventDefault();
            navigate(`/deals/${dealId}/audit`);
          }}
        >
          {t("audit.open")}
        </Typography.Link>
      </Space>
      <Card title={t("deal.fields")} size="small" style={{ marginBottom: 12 }}>
        <Descriptions column={{ xs: 1, md: 3 }} size="small">
          <Descriptions.Item label={t("register.account")}>{deal.account_name}</Descriptions.Item>
          <Descriptions.Item label={t("deal.owner")}>{deal.owner_id ?? t("deal.pool")}</Descriptions.Item>
          <Descriptions.Item label={t("deal.stage")}>{label(deal.stage)}</Descriptions.Item>
          <Descriptions.Item label={t("register.amount")}>
            <span data-testid="deal-value">{money(deal.value, language)}</span>
            {deal.line_items.length > 0 ? (
              <Typography.Text type="secondary" style={{ marginLeft: 8 }}>
                {t("lineItems.valueIsSum")}
              </Typography.Text>
            ) : (
              canWork(session) &&
              !deal.outcome && (
                <Space.Compact style={{ marginLeft: 8 }}>
                  <InputNumber
                    size="small"
                    aria-label={t("lineItems.newValue")}
                    min={0}
                    precision={2}
                    value={newValue}
                    placeholder={deal.value.amount}
                    onChange={(v) => setNewValue(v)}
                  />
                  <Button size="small" disabled={newValue === null} onClick={() => void saveValue()}>
                    {t("lineItems.setValue")}
                  </Button>
                </Space.Compact>
              )
            )}
            {valueProblem && (
              <Typography.Text type="danger" role="alert" style={{ marginLeft: 8 }}>
                {valueProblem}
              </Typography.Text>
            )}
          </Descriptions.Item>
          <Descriptions.Item label={t("deal.probability")}>{deal.probability}%</Descriptions.Item>
          <Descriptions.Item label={t("deal.category")}>{deal.forecast_category ? t(`deal.categories.${deal.forecast_category}`) : "—"}</Descriptions.Item>
          <Descriptions.Item label={t("register.closeDate")}>
            {date(deal.expected_close_date, language)}
            {deal.close_date_slips > 0 && <Tag color="orange" style={{ marginLeft: 8 }}>{t("deal.slips", { count: deal.close_date_slips })}</Tag>}
          </Descriptions.Item>
          <Descriptions.Item label={t("register.source")}>{deal.source ?? "—"}</Descriptions.Item>
          <Descriptions.Item label={t("deal.competitors")}>{deal.competitors.join(", ") || "—"}</Descriptions.Item>
        </Descriptions>
      </Card>
      <Card title={t("lineItems.title")} size="small" style={{ marginBottom: 12 }}>
        <LineItems deal={deal} editable={canWork(session) && !deal.outcome} onSaved={setDeal} />
      </Card>
      <Card title={t("deal.contacts")} size="small" style={{ marginBottom: 12 }}>
        <Table
          size="small"
          pagination={false}
          rowKey={(c) => c.id ?? c.name}
          dataSource={deal.contacts}
          columns={[
            { title: t("register.contactName"), dataIndex: "name" },
            { title: t("deal.role"), dataIndex: "role", render: (role: string | null) => role ?? "—" },
            { title: t("register.contactPhone"), dataIndex: "phone", render: (v: string | null) => v ?? "—" },
            { title: "Email", dataIndex: "email", render: (v: string | null) => v ?? "—" },
          ]}
        />
      </Card>
      <Card title={t("deal.stageHistory")} size="small" style={{ marginBottom: 12 }}>
        <Table
          size="small"
          pagination={false}
          rowKey={(visit) => visit.entered_at}
          dataSource={deal.stage_history}
          columns={[
            { title: t("deal.stage"), dataIndex: "stage", render: (key: string) => label(key) },
            { title: t("deal.entered"), dataIndex: "entered_at", render: (v: string) => dateTime(v, language) },
            { title: t("deal.left"), dataIndex: "left_at", render: (v: string | null) => (v ? dateTime(v, language) : "—") },
            { title: t("deal.timeInStage"), dataIndex: "seconds_in_stage", render: (s: number) => duration(s, language) },
            { title: t("deal.direction"), dataIndex: "direction" },
            { title: t("deal.by"), dataIndex: "by" },
            { title: t("deal.reason"), dataIndex: "reason", render: (v: string | null) => v ?? "—" },
          ]}
        />
      </Card>
      <Card title={t("deal.activities")} size="small">
        {canWork(session) && (
          <Form form={form} layout="inline" initialValues={{ kind: "call" }} onFinish={(v) => void logActivity(v)} style={{ marginBottom: 16 }}>
            <Form.Item name="kind" label={t("deal.kind")}>
              <Select style={{ width: 120 }} options={KINDS.map((k) => ({ value: k, label: t(`deal.kinds.${k}`) }))} />
            </Form.Item>
            <Form.Item name="subject" label={t("deal.subject")} rules={[{ required: true, whitespace: true, message: t("register.required") }]}>
              <Input style={{ width: 320 }} maxLength={500} />
            </Form.Item>
            <Button type="primary" htmlType="submit">
              {t("deal.log")}
            </Button>
          </Form>
        )}
        {logProblem && <Alert type="error" role="alert" showIcon title={logProblem} style={{ marginBottom: 12 }} />}
        {activities.length ? (
          <Timeline
            items={activities.map((activity) => ({
              key: activity.activity_id,
              color: activity.done ? "green" : "blue",
              content: (
                <span>
                  <Tag>{t(`deal.kinds.${activity.kind}`)}</Tag>
                  {activity.subject}{" "}
                  {activity.required_by_stage && <Tag color="gold">{t("deal.requiredBy", { stage: label(activity.required_by_stage) })}</Tag>}
                  <Typography.Text type="secondary">
                    · {dateTime(activity.occurred_at ?? activity.logged_at, language)} · {activity.by}
                  </Typography.Text>
                  <ActivityFiles
                    dealId={dealId}
                    activityId={activity.activity_id}
                    attachments={activity.attachments ?? []}
                    canAttach={canWork(session)}
                    onAttached={load}
                  />
                </span>
              ),
            }))}
          />
        ) : (
          <Typography.Text type="secondary">{t("deal.noActivities")}</Typography.Text>
        )}
      </Card>
    </main>
  );
}
