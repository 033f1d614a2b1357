/** The activity report (每日销售报告, 周进度控制): by day or week, for the caller, a rep of
 * their team or the whole team, what was done against the visit plan; for a team's week,
 * each rep's row is the weekly progress view. Managers set a rep's visit plan here. */
import { Alert, App, Button, Card, Form, Input, InputNumber, Result, Segmented, Select, Space, Statistic, Table, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../api/client";
import EChart from "../charts/EChart";
import { barsOption } from "../charts/options";
import { date, sums } from "../format";
import { canSetTargets, type Session } from "../session";
import { whoseChoices, whoseQuery } from "../whose";

type Report = Schemas["ActivityReport"];
type Rep = Schemas["RepActivity"];

export default function ActivityReportPage({ session }: { session: Session }) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [period, setPeriod] = useState<"day" | "week">("week");
  // empty: today as the company's calendar has it (the server says which day that is)
  const [on, setOn] = useState("");
  const [choice, setChoice] = useState("me");
  const [members, setMembers] = useState<string[]>([]);
  const [report, setReport] = useState<Report | null>(null);
  const [failure, setFailure] = useState<{ status: number; text: string } | null>(null);
  const [planForm] = Form.useForm<{ owner: string; period: string; visits: number }>();

  const load = useCallback(async () => {
    const { data, error, response } = await api.GET("/forecast/activity", {
      params: { query: { period, on: on || undefined, ...whoseQuery(choice) } },
    });
    if (data) {
      setReport(data);
      setFailure(null);
      if (choice.startsWith("team:")) setMembers(data.reps.map((rep) => rep.owner_id));
    } else setFailure({ status: response.status, text: reason(error) });
  }, [period, on, choice]);

  useEffect(() => {
    void load();
  }, [load]);

  const setPlan = async (values: { owner: string; period: string; visits: number }) => {
    const { data, error } = await api.PUT("/forecast/visit-plans/{owner_id}/{period}", {
      params: { path: { owner_id: values.owner, period: values.period } },
      body: { visits_per_day: values.visits },
    });
    if (data) {
      message.success(t("activity.planSet", { count: data.visits_per_day }));
      void load();
    } else message.error(reason(error));
  };

  if (failure?.status === 403) return <Result status="403" title={t("activity.forbidden")} subTitle={failure.text} />;
  const choices = whoseChoices(session, members);
  const total = report?.total;
  const ofPlan = (value: number | null | undefined) => (value == null ? "—" : `${value}%`);
  const dayLabels = (total?.days ?? []).map((d) => date(d.date, language));

  return (
    <Space direction="vertical" style={{ width: "100%" }}>
      <Space wrap style={{ justifyContent: "space-between", width: "100%" }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("activity.title")}
        </Typography.Title>
        <Space wrap>
          <Segmented
            aria-label={t("activity.title")}
            value={period}
            onChange={(value) => setPeriod(value as "day" | "week")}
            options={[
              { label: t("activity.day"), value: "day" },
              { label: t("activity.week"), value: "week" },
            ]}
          />
          <Input type="date" aria-label={t("activity.on")} value={on} onChange={(event) => setOn(event.target.value)} style={{ width: 160 }} />
          {choices.length > 1 && (
            <Select
              aria-label={t("myDay.whose")}
              style={{ minWidth: 200 }}
              value={choice}
              onChange={setChoice}
              options={choices.map((c) => ({
                value: c.value,
                label: c.team ? t("myDay.team", { team: c.team }) : c.owner ? `${t("myDay.rep")}: ${c.owner}` : t("myDay.mine"),
              }))}
            />
          )}
        </Space>
      </Space>
      {failure && <Alert type="error" showIcon title={t("activity.failed", { reason: failure.text })} />}
      {report && total && (
        <>
          <Typography.Text type="secondary">
            {report.first === report.last ? date(report.first, language) : `${date(report.first, language)} – ${date(report.last, language)}`} · {report.timezone}
          </Typography.Text>
          <Card size="small">
            <Space wrap size="large">
              <Statistic title={t("activity.visits")} value={total.visits} suffix={`/ ${total.planned_visits}`} />
              <Statistic title={t("activity.ofPlan")} value={ofPlan(total.visits_of_plan)} />
              <Statistic title={t("activity.calls")} value={total.calls} />
              <Statistic title={t("activity.meetings")} value={total.meetings} />
              <Statistic title={t("activity.newDeals")} value={total.new_deals} />
              <Statistic title={t("activity.movedForward")} value={total.moved_forward} />
              <Statistic title={t("activity.dealsWon")} value={total.deals_won} />
              <Statistic title={t("activity.won")} value={total.won.length ? sums(total.won, language) : "—"} />
            </Space>
          </Card>
          {period === "week" && (
            <Card size="small" title={t("activity.chart")}>
              <EChart
                label={t("activity.chart")}
                height={240}
                option={barsOption(
                  dayLabels,
                  [
                    { name: t("activity.visits"), values: total.days.map((d) => d.visits) },
                    { name: t("activity.planned"), values: total.days.map((d) => d.planned_visits) },
                    { name: t("activity.calls"), values: total.days.map((d) => d.calls) },
                    { name: t("activity.meetings"), values: total.days.map((d) => d.meetings) },
                  ],
                  (value) => String(value),
                )}
              />
            </Card>
          )}
          <Card size="small" title={period === "week" ? t("activity.progress") : t("activity.rep")}>
            <Table<Rep>
              rowKey="owner_id"
              size="small"
              pagination={false}
              dataSource={report.reps}
              columns={[
                { title: t("activity.rep"), dataIndex: "owner_id" },
                { title: t("activity.visits"), key: "visits", render: (_, rep) => `${rep.visits} / ${rep.planned_visits}` },
                { title: t("activity.ofPlan"), key: "of", render: (_, rep) => ofPlan(rep.visits_of_plan) },
                ...(period === "week"
                  ? [{ title: t("activity.perDay"), key: "days", render: (_: unknown, rep: Rep) => rep.days.map((d) => d.visits).join(" · ") }]
                  : []),
                { title: t("activity.calls"), dataIndex: "calls" },
                { title: t("activity.meetings"), dataIndex: "meetings" },
                { title: t("activity.newDeals"), dataIndex: "new_deals" },
                { title: t("activity.movedForward"), dataIndex: "moved_forward" },
                { title: t("activity.dealsWon"), dataIndex: "deals_won" },
                { title: t("activity.won"), key: "won", render: (_, rep) => (rep.won.length ? sums(rep.won, language) : "—") },
              ]}
            />
          </Card>
        </>
      )}
      {canSetTargets(session) && (
        <Card size="small" title={t("activity.plan")}>
          <Form form={planForm} layout="inline" initialValues={{ period: (on || new Date().toISOString()).slice(0, 7), visits: 2 }} onFinish={(values) => void setPlan(values)}>
            <Form.Item name="owner" label={t("activity.rep")} rules={[{ required: true, message: t("register.required") }]}>
              <Select style={{ minWidth: 160 }} options={members.map((member) => ({ value: member, label: member }))} />
            </Form.Item>
            <Form.Item name="period" label={t("forecast.period")} rules={[{ required: true, pattern: /^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$/, message: "2026, 2026-Q4, 2026-12" }]}>
              <Input style={{ width: 110 }} />
            </Form.Item>
            <Form.Item name="visits" label={t("activity.visits")} rules={[{ required: true, message: t("register.required") }]}>
              <InputNumber min={0} max={50} />
            </Form.Item>
            <Button type="primary" htmlType="submit">
              {t("activity.setPlan")}
            </Button>
          </Form>
        </Card>
      )}
    </Space>
  );
}
