/** Leads in reach: filtered, sorted and paged (a cursor), with their conversion score and the
 * model that gave it; a lead is disqualified with a reason, or converted into a deal. An admin
 * sees the score model's state and may train it now. */
import { Alert, App, Button, Card, DatePicker, Descriptions, Form, Input, InputNumber, Modal, Result, Select, Space, Table, Tag, Typography } from "antd";
import type { Dayjs } from "dayjs";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../api/client";
import { dateTime, money } from "../format";
import { decimalText } from "../lineitems";
import { usePagedList } from "../paging";
import { navigate } from "../router";
import { canTrainScores, canWorkLeads, type Session } from "../session";
import ExportButtons from "./ExportButtons";

type Lead = Schemas["LeadView"];
type Status = Lead["status"];
type Sort = "captured_at" | "company" | "score";
type ModelStatus = Schemas["ScoreModelStatus"];
const PAGE = 50;
// solid colours dark enough for white text (WCAG AA, checked by axe); an ended lead is plain
const STATUS_COLOURS: Record<Status, string | undefined> = { open: "#0958d9", converted: "#237804", disqualified: undefined };

interface Filters {
  q?: string;
  status?: Status;
  source?: string;
  region?: string;
  industry?: string;
  sort: Sort;
}

function ScoreModel() {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const { message } = App.useApp();
  const [model, setModel] = useState<ModelStatus | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    const { data } = await api.GET("/registration/lead-scores/model");
    if (data) setModel(data);
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const train = async () => {
    setBusy(true);
    const { data, error } = await api.POST("/registration/lead-scores/train");
    setBusy(false);
    if (data) {
      message.info(t("leads.trained", { status: t(`leads.modelStatus.${data.status}`), scored: data.scored }));
      await load();
    } else message.error(reason(error));
  };

  if (!model) return null;
  return (
    <Card size="small" title={t("leads.model")} style={{ marginBottom: 12 }} extra={<Button loading={busy} onClick={() => void train()}>{t("leads.train")}</Button>}>
      <Descriptions size="small" column={{ xs: 1, md: 3 }}>
        <Descriptions.Item label={t("leads.status")}>
          <span data-testid="model-status">{t(`leads.modelStatus.${model.status}`)}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t("leads.auc")}>{model.model ? model.model.roc_auc.toFixed(3) : "—"}</Descriptions.Item>
        <Descriptions.Item label={t("leads.sample")}>
          {model.model ? model.model.n : t("leads.sampleNeeded", { converted: model.converted, disqualified: model.disqualified, needed: model.needed })}
        </Descriptions.Item>
        <Descriptions.Item label={t("leads.version")}>{model.model?.version.slice(0, 12) ?? "—"}</Descriptions.Item>
        <Descriptions.Item label={t("leads.trainedAt")}>{model.model ? dateTime(model.model.trained_at, language) : "—"}</Descriptions.Item>
        <Descriptions.Item label={t("leads.inputs")}>{model.inputs.join(", ")}</Descriptions.Item>
      </Descriptions>
    </Card>
  );
}

export default function LeadsPage({ session }: { session: Session }) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [filters, setFilters] = useState<Filters>({ status: "open", sort: "captured_at" });
  const [disqualifying, setDisqualifying] = useState<Lead | null>(null);
  const [why, setWhy] = useState("");
  const [converting, setConverting] = useState<Lead | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [convertForm] = Form.useForm<{ amount: number; closeDate: Dayjs }>();

  const ask = useCallback(
    (cursor: string | null) =>
      api.GET("/registration/leads", {
        params: {
          query: {
            q: filters.q || null,
            status: filters.status ?? null,
            source: filters.source || null,
            region: filters.region || null,
            industry: filters.industry || null,
            sort: filters.sort,
            limit: PAGE,
            cursor,
          },
        },
      }),
    [filters],
  );
  const { items, setItems, next, more, failure } = usePagedList<Lead>(ask);

  const disqualify = async () => {
    if (!disqualifying) return;
    setProblem(null);
    const { data, error } = await api.POST("/registration/leads/{lead_id}/disqualify", {
      params: { path: { lead_id: disqualifying.lead_id } },
      body: { reason: why.trim() },
    });
    if (!data) {
      setProblem(reason(error));
      return;
    }
    message.success(t("leads.disqualified", { company: data.company }));
    setDisqualifying(null);
    setWhy("");
    // the answer is the lead as it now stands; the list is a read model that follows within
    // moments, so the row changes (or leaves the filter it no longer fits) from the answer
    setItems((now) =>
      (now ?? []).flatMap((lead) => (lead.lead_id !== data.lead_id ? [lead] : filters.status && filters.status !== data.status ? [] : [data])),
    );
  };

  const convert = async (values: { amount: number; closeDate: Dayjs }) => {
    if (!converting) return;
    setProblem(null);
    const { data, error } = await api.POST("/registration/leads/{lead_id}/convert", {
      params: { path: { lead_id: converting.lead_id } },
      body: {
        value: { amount: decimalText(values.amount, 2), currency: converting.budget?.currency ?? "CNY" },
        expected_close_date: values.closeDate.format("YYYY-MM-DD"),
      },
    });
    if (!data) {
      setProblem(reason(error));
      return;
    }
    setConverting(null);
    message.success(t("leads.converted", { company: converting.company }));
    navigate(`/deals/${data.deal_id}`);
  };

  if (failure) return <Result status={failure.status === 403 ? "403" : "error"} title={t("board.failed", { reason: failure.text })} />;

  const work = canWorkLeads(session);
  const text = (name: "source" | "region" | "industry") => (
    <Input.Search
      aria-label={t(`leads.${name}`)}
      placeholder={t(`leads.${name}`)}
      allowClear
      style={{ width: 160 }}
      onSearch={(value) => setFilters((f) => ({ ...f, [name]: value.trim() || undefined }))}
    />
  );
  return (
    <main>
      <Typography.Title level={3}>{t("leads.title")}</Typography.Title>
      {canTrainScores(session) && <ScoreModel />}
      <Card size="small">
        <Space wrap style={{ marginBottom: 12 }}>
          <Select<Status | "all">
            aria-label={t("leads.status")}
            value={filters.status ?? "all"}
            style={{ width: 140 }}
            onChange={(value) => setFilters((f) => ({ ...f, status: value === "all" ? undefined : value }))}
            options={(["all", "open", "converted", "disqualified"] as const).map((value) => ({ value, label: t(`leads.statuses.${value}`) }))}
          />
          <Input.Search
            aria-label={t("leads.search")}
            placeholder={t("leads.search")}
            allowClear
            style={{ width: 200 }}
            onSearch={(value) => setFilters((f) => ({ ...f, q: value.trim() || undefined }))}
          />
          {text("source")}
          {text("region")}
          {text("industry")}
          <Select<Sort>
            aria-label={t("leads.sort")}
            value={filters.sort}
            style={{ width: 160 }}
            onChange={(sort) => setFilters((f) => ({ ...f, sort }))}
            options={(["captured_at", "company", "score"] as const).map((value) => ({ value, label: t(`leads.sorts.${value}`) }))}
          />
          <ExportButtons
            name="leads"
            fetchFile={(format) =>
              api.GET("/registration/leads", {
                params: { query: { q: filters.q || null, status: filters.status ?? null, source: filters.source || null, region: filters.region || null, industry: filters.industry || null, sort: filters.sort, format } },
                parseAs: "blob",
              })
            }
          />
        </Space>
        <Table<Lead>
          size="small"
          rowKey="lead_id"
          loading={items === null}
          dataSource={items ?? []}
          pagination={false}
          columns={[
            { title: t("leads.company"), dataIndex: "company" },
            { title: t("leads.contact"), key: "contact", render: (_, lead) => lead.contact.name },
            { title: t("leads.source"), dataIndex: "source", render: (v: string | null) => v ?? "—" },
            { title: t("leads.region"), dataIndex: "region", render: (v: string | null) => v ?? "—" },
            { title: t("leads.industry"), dataIndex: "industry", render: (v: string | null) => v ?? "—" },
            { title: t("leads.budget"), key: "budget", render: (_, lead) => (lead.budget ? money(lead.budget, language) : "—") },
            { title: t("leads.owner"), dataIndex: "owner_id" },
            { title: t("leads.captured"), dataIndex: "captured_at", render: (v: string | null) => (v ? dateTime(v, language) : "—") },
            {
              title: t("leads.score"),
              key: "score",
              render: (_, lead) => (lead.score === null ? "—" : `${Math.round(lead.score * 100)}%`),
            },
            { title: t("leads.version"), dataIndex: "model_version", render: (v: string | null) => (v ? v.slice(0, 12) : "—") },
            {
              title: t("leads.status"),
              key: "status",
              render: (_, lead) => (
                <span>
                  <Tag color={STATUS_COLOURS[lead.status]}>{t(`leads.statuses.${lead.status}`)}</Tag>
                  {lead.disqualified_reason && <Typography.Text type="secondary">{lead.disqualified_reason}</Typography.Text>}
                </span>
              ),
            },
            ...(work
              ? [
                  {
                    title: t("leads.actions"),
                    key: "actions",
                    render: (_: unknown, lead: Lead) =>
                      lead.status === "open" ? (
                        <Space>
                          <Button size="small" autoInsertSpace={false} aria-label={t("leads.convertOne", { company: lead.company })} onClick={() => { setProblem(null); setConverting(lead); }}>
                            {t("leads.convert")}
                          </Button>
                          <Button size="small" autoInsertSpace={false} aria-label={t("leads.disqualifyOne", { company: lead.company })} onClick={() => { setProblem(null); setDisqualifying(lead); }}>
                            {t("leads.disqualify")}
                          </Button>
                        </Space>
                      ) : lead.deal_id ? (
                        <Typography.Link onClick={() => navigate(`/deals/${lead.deal_id}`)}>{t("leads.openDeal")}</Typography.Link>
                      ) : null,
                  },
                ]
              : []),
          ]}
        />
        {next && (
          <Button style={{ marginTop: 12 }} onClick={() => void more()}>
            {t("leads.more")}
          </Button>
        )}
      </Card>
      <Modal
        open={disqualifying !== null}
        title={t("leads.disqualifyOne", { company: disqualifying?.company ?? "" })}
        okText={t("leads.disqualify")}
        okButtonProps={{ disabled: !why.trim() }}
        onOk={() => void disqualify()}
        onCancel={() => setDisqualifying(null)}
      >
        {problem && <Alert type="error" showIcon role="alert" title={problem} style={{ marginBottom: 12 }} />}
        <Input.TextArea aria-label={t("leads.reason")} placeholder={t("leads.reason")} value={why} maxLength={500} onChange={(e) => setWhy(e.target.value)} />
      </Modal>
      <Modal
        open={converting !== null}
        title={t("leads.convertOne", { company: converting?.company ?? "" })}
        okText={t("leads.convert")}
        onOk={() => convertForm.submit()}
        onCancel={() => setConverting(null)}
        destroyOnHidden
      >
        {problem && <Alert type="error" showIcon role="alert" title={problem} style={{ marginBottom: 12 }} />}
        <Form key={converting?.lead_id} form={convertForm} layout="vertical" onFinish={(v) => void convert(v)} initialValues={{ amount: converting?.budget ? Number(converting.budget.amount) : undefined }}>
          <Form.Item label={t("register.amount")} name="amount" rules={[{ required: true, message: t("register.required") }]}>
            <InputNumber min={0} precision={2} style={{ width: "100%" }} />
          </Form.Item>
          <Form.Item label={t("register.closeDate")} name="closeDate" rules={[{ required: true, message: t("register.required") }]}>
            <DatePicker style={{ width: "100%" }} />
          </Form.Item>
        </Form>
      </Modal>
    </main>
  );
}
