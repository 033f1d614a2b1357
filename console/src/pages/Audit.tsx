/** The auditor's page of one deal: every event of both services (who, when, why) as one
 * timeline, and a time slider from the first event to the last that shows the deal as it
 * stood at the instant it points to (stage, value, owner, stage and owner spans). */
import { Alert, Button, Card, Descriptions, Result, Slider, Space, Spin, Table, Tag, Timeline, Typography } from "antd";
import { useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../api/client";
import { asOf, eventType, happenedBy, mergeHistories, position, sliderSpan, type HistoryEvent } from "../audit";
import { intlLocale, money, stageLabel } from "../format";
import { navigate } from "../router";

type PipelineHistory = Schemas["PipelineHistory"];
type RegistrationHistory = Schemas["RegistrationHistory"];
type Span = Schemas["Span"];
type Stage = Schemas["Stage"];

interface Snapshot {
  /** null at an instant before the pipeline heard of the deal (registration comes first) */
  pipeline: PipelineHistory | null;
  registration: RegistrationHistory | null;
}

/** An instant to the second: an audit trail's events are often minutes apart. */
function instant(iso: string | number, language: string): string {
  return new Intl.DateTimeFormat(intlLocale(language), { dateStyle: "medium", timeStyle: "medium" }).format(new Date(iso));
}

async function histories(dealId: string, at?: string) {
  const params = { path: { deal_id: dealId }, query: at ? { as_of: at } : {} };
  return Promise.all([
    api.GET("/pipeline/deals/{deal_id}/history", { params }),
    api.GET("/registration/deals/{deal_id}/history", { params }),
  ]);
}

function details(event: HistoryEvent): string {
  return Object.entries(event.details)
    .map(([name, value]) => `${name}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`)
    .join(" · ");
}

export default function AuditPage({ dealId }: { dealId: string }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [events, setEvents] = useState<HistoryEvent[] | null>(null);
  const [name, setName] = useState("");
  const [stages, setStages] = useState<Stage[]>([]);
  const [point, setPoint] = useState<number | null>(null);
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const [problem, setProblem] = useState<{ status: number; reason: string } | null>(null);
  const [stale, setStale] = useState<string | null>(null);
  const asked = useRef(0);

  useEffect(() => {
    void (async () => {
      const [[pipeline, registration], stageAnswer] = await Promise.all([histories(dealId), api.GET("/pipeline/stages")]);
      if (pipeline.error) {
        setProblem({ status: pipeline.response.status, reason: reason(pipeline.error) });
        return;
      }
      const merged = mergeHistories(pipeline.data.events, registration.data?.events ?? []);
      setEvents(merged);
      setName(pipeline.data.deal.name);
      setSnapshot({ pipeline: pipeline.data, registration: registration.data ?? null });
      setPoint(sliderSpan(merged)?.max ?? null);
      if (stageAnswer.data) setStages(stageAnswer.data.stages);
    })();
  }, [dealId]);

  const span = useMemo(() => (events ? sliderSpan(events) : null), [events]);

  const moveTo = async (next: number) => {
    setPoint(next);
    const mine = ++asked.current;
    const [pipeline, registration] = await histories(dealId, asOf(next));
    if (mine !== asked.current) return; // the slider has moved on: a later answer counts
    if (pipeline.error && pipeline.response.status !== 404) {
      setStale(reason(pipeline.error));
      return;
    }
    setStale(null);
    setSnapshot({ pipeline: pipeline.data ?? null, registration: registration.data ?? null });
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
  if (!events || !snapshot || !span || point === null) return <Spin />;

  const deal = snapshot.pipeline?.deal ?? null;
  const label = (key: string | null | undefined) => {
    if (!key) return "—";
    const stage = stages.find((s) => s.key === key);
    return stage ? stageLabel(stage.labels, key, language) : key;
  };
  const spanColumns = (what: string, show: (value: string) => string) => [
    { title: what, dataIndex: "what", render: show },
    { title: t("audit.from"), dataIndex: "from", render: (v: string) => instant(v, language) },
    { title: t("audit.to"), dataIndex: "to", render: (v: string | null) => (v ? instant(v, language) : "—") },
    { title: t("audit.days"), dataIndex: "days" },
    { title: t("deal.by"), dataIndex: "by", render: (v: string | null) => v ?? "—" },
    { title: t("deal.reason"), dataIndex: "why", render: (v: string | null) => v ?? "—" },
  ];
  // a dot per event (the times are written below); a mark without a label would be no stop at all
  const marks = Object.fromEntries(span.points.map((p) => [p, <span aria-hidden="true" />]));

  return (
    <main>
      <Space style={{ marginBottom: 12 }} wrap>
        <Button onClick={() => navigate(`/deals/${dealId}`)}>← {t("audit.backToDeal")}</Button>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("audit.title", { deal: name })}
        </Typography.Title>
      </Space>
      <Card title={t("audit.slider")} size="small" style={{ marginBottom: 12 }}>
        <div style={{ padding: "0 16px" }}>
          <Slider
            min={span.min}
            max={span.max}
            step={null}
            marks={marks}
            value={point}
            disabled={span.min === span.max}
            onChange={(value) => void moveTo(value)}
            tooltip={{ formatter: (value) => (value === undefined ? "" : instant(value, language)) }}
            ariaLabelForHandle={t("audit.slider")}
            ariaValueTextFormatterForHandle={(value) => instant(value, language)}
          />
        </div>
        <Space wrap size={16}>
          <Typography.Text strong>
            {t("audit.asOf")}: <span data-testid="as-of">{instant(point, language)}</span>
          </Typography.Text>
          <Typography.Text type="secondary">
            {t("audit.span", { first: instant(span.min, language), last: instant(span.max, language), count: span.points.length })}
          </Typography.Text>
        </Space>
        {stale && <Alert type="error" role="alert" showIcon title={t("board.failed", { reason: stale })} style={{ marginTop: 8 }} />}
      </Card>
      <div style={{ display: "flex", gap: 12, alignItems: "flex-start", flexWrap: "wrap" }}>
        <Card title={t("audit.thenTitle")} size="small" style={{ flex: "2 1 560px" }}>
          {deal && snapshot.pipeline ? (
  <>
              <Descriptions column={{ xs: 1, md: 3 }} size="small" style={{ marginBottom: 12 }}>
                <Descriptions.Item label={t("deal.stage")}>
                  <span data-testid="stage-then">{label(deal.stage)}</span>
                </Descriptions.Item>
                <Descriptions.Item label={t("register.amount")}>
                  <span data-testid="value-then">{money(deal.value, language)}</span>
                </Descriptions.Item>
                <Descriptions.Item label={t("deal.owner")}>
                  <span data-testid="owner-then">{deal.owner_id ?? t("deal.pool")}</span>
                </Descriptions.Item>
                <Descriptions.Item label={t("deal.probability")}>{deal.probability}%</Descriptions.Item>
                <Descriptions.Item label={t("deal.category")}>
                  {deal.forecast_category ? t(`deal.categories.${deal.forecast_category}`) : "—"}
                </Descriptions.Item>
                <Descriptions.Item label={t("audit.outcome")}>{deal.outcome ? t(`deal.outcome.${deal.outcome}`) : "—"}</Descriptions.Item>
              </Descriptions>
              <section aria-label={t("audit.stageSpans")}>
                <Typography.Title level={5}>{t("audit.stageSpans")}</Typography.Title>
                <Table<Span>
                  size="small"
                  pagination={false}
                  rowKey={(s) => s.from}
                  dataSource={snapshot.pipeline.stage_spans}
                  columns={spanColumns(t("deal.stage"), (key) => label(key))}
                  style={{ marginBottom: 12 }}
                />
              </section>
            </>
          ) : (
            <Alert type="info" showIcon title={t("audit.notYetTracked")} style={{ marginBottom: 12 }} />
          )}
          {snapshot.registration && (
            <>
              <Typography.Title level={5}>{t("audit.ownerSpans")}</Typography.Title>
              <Table<Span>
                size="small"
                pagination={false}
                rowKey={(s) => s.from}
                dataSource={snapshot.registration.owner_spans}
                columns={spanColumns(t("deal.owner"), (owner) => owner)}
              />
            </>
          )}
        </Card>
        <Card title={t("audit.events", { count: events.length })} size="small" style={{ flex: "1 1 420px" }}>
          <Timeline
            items={events.map((event) => {
              const happened = happenedBy(event, point);
              return {
                key: `${event.service}-${event.version}`,
                color: happened ? (position(event) === point ? "green" : "blue") : "gray",
                content: (
                  <div data-testid="audit-event" aria-current={position(event) === point ? "step" : undefined}>
                    <Space wrap size={4}>
                      <Tag>{t(`audit.services.${event.service}`, { defaultValue: event.service })}</Tag>
                      <Typography.Text strong type={happened ? undefined : "secondary"}>
                        {eventType(event)}
                      </Typography.Text>
                      <Typography.Text>{t("audit.byWhom", { actor: event.actor })}</Typography.Text>
                    </Space>
                    <div>
                      <Typography.Text type="secondary">{instant(event.time, language)}</Typography.Text>
                    </div>
                    {event.reason && <div>{t("audit.why", { reason: event.reason })}</div>}
                    {Object.keys(event.details).length > 0 && (
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {details(event)}
                      </Typography.Text>
                    )}
                  </div>
                ),
              };
            })}
          />
        </Card>
      </div>
    </main>
  );
}
