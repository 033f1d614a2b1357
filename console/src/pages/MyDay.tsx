/** My day: open tasks (overdue, today, upcoming) and meetings across the deals of the
 * caller, or for a manager of a rep of their team or the whole team; a task is completed
 * from here. Days are the company's (the answer names its time zone). */
import { Alert, App, Button, Card, Result, Select, Space, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../api/client";
import { date, intlLocale } from "../format";
import { navigate } from "../router";
import type { Session } from "../session";
import { whoseChoices, whoseQuery } from "../whose";

type Day = Schemas["MyDay"];
type Item = Schemas["DayItem"];

/** An instant on the company's clock (the zone the answer names), as the day's buckets are. */
function atInZone(iso: string, language: string, timeZone: string): string {
  return new Intl.DateTimeFormat(intlLocale(language), { dateStyle: "medium", timeStyle: "short", timeZone }).format(new Date(iso));
}

/** The day without a task just completed: its list and that list's count both lose it. */
function withoutTask(day: Day, activityId: string): Day {
  const next = { ...day, counts: { ...day.counts } };
  for (const bucket of ["overdue", "today", "upcoming"] as const) {
    const kept = day[bucket].filter((item) => item.activity_id !== activityId);
    next.counts[bucket] -= day[bucket].length - kept.length;
    next[bucket] = kept;
  }
  return next;
}

export default function MyDayPage({ session }: { session: Session }) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [choice, setChoice] = useState("me");
  const [members, setMembers] = useState<string[]>([]);
  const [day, setDay] = useState<Day | null>(null);
  const [failure, setFailure] = useState<{ status: number; text: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(async () => {
    const { data, error, response } = await api.GET("/pipeline/my-day", { params: { query: whoseQuery(choice) } });
    if (data) {
      setDay(data);
      setFailure(null);
      if (choice.startsWith("team:")) setMembers(data.owners);
    } else setFailure({ status: response.status, text: reason(error) });
  }, [choice]);

  useEffect(() => {
    void load();
  }, [load]);

  const complete = async (item: Item) => {
    setBusy(item.activity_id);
    const { data, error } = await api.POST("/pipeline/deals/{deal_id}/activities/{activity_id}/done", {
      params: { path: { deal_id: item.deal_id, activity_id: item.activity_id } },
    });
    setBusy(null);
    if (data) {
      message.success(t("myDay.completed", { subject: item.subject }));
      // the answer is the completion; the agenda's read model follows within moments
      setDay((before) => before && withoutTask(before, item.activity_id));
    } else message.error(t("myDay.refused", { reason: reason(error) }));
  };

  if (failure?.status === 403) return <Result status="403" title={t("myDay.forbidden")} subTitle={failure.text} />;
  const many = (day?.owners.length ?? 0) > 1;
  const choices = whoseChoices(session, members);

  const table = (items: Item[], task: boolean) => (
    <Table<Item>
      rowKey="activity_id"
      size="small"
      pagination={false}
      loading={day === null && !failure}
      dataSource={items}
      locale={{ emptyText: t("myDay.nothing") }}
      columns={[
        { title: task ? t("myDay.due") : t("myDay.at"), key: "at", width: 180, render: (_, item) => atInZone(item.at, language, day?.timezone ?? "Asia/Shanghai") },
        { title: t("myDay.subject"), key: "subject", render: (_, item) => (
          <Space size={4}>
            {!task && <Tag>{t(`deal.kinds.${item.kind}`)}</Tag>}
            <span>{item.subject}</span>
          </Space>
        ) },
        { title: t("myDay.deal"), key: "deal", render: (_, item) => (
          <Button type="link" style={{ padding: 0 }} onClick={() => navigate(`/deals/${encodeURIComponent(item.deal_id)}`)}>
            {item.deal_name}
          </Button>
        ) },
        ...(many ? [{ title: t("myDay.owner"), key: "owner", render: (_: unknown, item: Item) => item.owner_id }] : []),
        ...(task
          ? [{ title: "", key: "done", width: 90, render: (_: unknown, item: Item) => (
              <Button size="small" loading={busy === item.activity_id} onClick={() => void complete(item)} aria-label={`${t("myDay.complete")}: ${item.subject}`}>
                {t("myDay.complete")}
              </Button>
            ) }]
          : []),
      ]}
    />
  );

  return (
    <Space direction="vertical" style={{ width: "100%" }}>
      <Space style={{ justifyContent: "space-between", width: "100%" }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("myDay.title")}
        </Typography.Title>
        {day && <Typography.Text type="secondary">{t("myDay.timezone", { date: date(day.date, language), timezone: day.timezone })}</Typography.Text>}
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
      {failure && <Alert type="error" showIcon message={t("myDay.failed", { reason: failure.text })} />}
      <Card size="small" title={<Typography.Text type="danger">{`${t("myDay.overdue")} (${day?.counts.overdue ?? 0})`}</Typography.Text>}>
        {table(day?.overdue ?? [], true)}
      </Card>
      <Card size="small" title={`${t("myDay.today")} (${day?.counts.today ?? 0})`}>
        {table(day?.today ?? [], true)}
      </Card>
      <Card size="small" title={`${t("myDay.upcoming", { until: day ? date(day.until, language) : "" })} (${day?.counts.upcoming ?? 0})`}>
        {table(day?.upcoming ?? [], true)}
      </Card>
      <Card size="small" title={`${t("myDay.meetings")} (${day?.counts.meetings ?? 0})`}>
        {table(day?.meetings ?? [], false)}
      </Card>
    </Space>
  );
}
