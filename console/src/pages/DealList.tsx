/** The list view: the deals in the caller's reach, with filters (text, stage, source, owner,
 * close dates), sort by any sortable column, and cursor paging ("more"). */
import { Alert, Button, DatePicker, Input, Result, Select, Space, Table, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, type DealCard, type Schemas } from "../api/client";
import { date, money, stageLabel } from "../format";
import { usePagedList } from "../paging";
import { navigate } from "../router";
import type { Session } from "../session";
import ExportButtons from "./ExportButtons";

const PAGE = 25;
const SORTS = ["expected_close_date", "-expected_close_date", "-amount", "amount", "name", "-updated_at", "-probability"];

interface Filters {
  q: string;
  stage?: string;
  source: string;
  owner: string;
  closeFrom?: string;
  closeTo?: string;
  sort: string;
}

/** The list's filters as the route's query: the page and its export ask alike. */
function query(filters: Filters) {
  return {
    q: filters.q.trim() || undefined,
    stage: filters.stage,
    source: filters.source.trim() || undefined,
    owner: filters.owner.trim() || undefined,
    close_from: filters.closeFrom,
    close_to: filters.closeTo,
    sort: filters.sort,
  };
}

export default function DealListPage({ session }: { session: Session }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [stages, setStages] = useState<Schemas["Stage"][]>([]);
  const [filters, setFilters] = useState<Filters>({ q: "", source: "", owner: "", sort: "expected_close_date" });

  useEffect(() => {
    void api.GET("/pipeline/stages").then(({ data }) => data && setStages(data.stages));
  }, []);

  const ask = useCallback(
    (cursor: string | null) =>
      api.GET("/pipeline/deals", { params: { query: { ...query(filters), limit: PAGE, cursor: cursor ?? undefined } } }),
    [filters],
  );
  const { items, next, more, failure } = usePagedList<DealCard>(ask);

  if (failure?.status === 403) return <Result status="403" title={t("list.forbidden")} subTitle={failure.text} />;
  const labelOf = (key: string | null) => {
    const stage = stages.find((s) => s.key === key);
    return stage ? stageLabel(stage.labels, stage.key, language) : (key ?? "—");
  };
  const day = (value: { format: (pattern: string) => string } | null) => (value ? value.format("YYYY-MM-DD") : undefined);

  return (
    <Space direction="vertical" style={{ width: "100%" }}>
      <Typography.Title level={3}>{t("list.title")}</Typography.Title>
      <Space wrap>
        <Input.Search aria-label={t("list.search")} placeholder={t("list.search")} allowClear onSearch={(q) => setFilters((f) => ({ ...f, q }))} style={{ width: 220 }} />
        <Select
          aria-label={t("list.stage")}
          placeholder={t("list.stage")}
          allowClear
          style={{ width: 180 }}
          value={filters.stage}
          onChange={(stage) => setFilters((f) => ({ ...f, stage }))}
          options={stages.map((stage) => ({ value: stage.key, label: stageLabel(stage.labels, stage.key, language) }))}
        />
        <Input aria-label={t("list.source")} placeholder={t("list.source")} allowClear style={{ width: 140 }} onBlur={(e) => setFilters((f) => ({ ...f, source: e.target.value }))} onPressEnter={(e) => setFilters((f) => ({ ...f, source: e.currentTarget.value }))} />
        {session.role !== "rep" && (
          <Input aria-label={t("list.owner")} placeholder={t("list.owner")} allowClear style={{ width: 140 }} onBlur={(e) => setFilters((f) => ({ ...f, owner: e.target.value }))} onPressEnter={(e) => setFilters((f) => ({ ...f, owner: e.currentTarget.value }))} />
        )}
        <DatePicker.RangePicker
          aria-label={t("list.closeRange")}
          onChange={(range) => setFilters((f) => ({ ...f, closeFrom: day(range?.[0] ?? null), closeTo: day(range?.[1] ?? null) }))}
        />
        <Select
          aria-label={t("list.sort")}
          style={{ width: 200 }}
          value={filters.sort}
          onChange={(sort) => setFilters((f) => ({ ...f, sort }))}
          options={SORTS.map((value) => ({ value, label: t(`list.sorts.${value}`) }))}
        />
        <ExportButtons name="deals" fetchFile={(format) => api.GET("/pipeline/deals", { params: { query: { ...query(filters), format } }, parseAs: "blob" })} />
      </Space>
      {failure && <Alert type="error" showIcon message={t("board.failed", { reason: failure.text })} />}
      <Table<DealCard>
        rowKey="deal_id"
        loading={items === null && !failure}
        dataSource={items ?? []}
        pagination={false}
        locale={{ emptyText: t("board.empty") }}
        columns={[
          { title: t("queue.deal"), key: "name", render: (_, deal) => (
            <Space direction="vertical" size={0}>
              <Typography.Link onClick={() => navigate(`/deals/${deal.deal_id}`)}>{deal.name}</Typography.Link>
              <Typography.Text type="secondary">{deal.account_name}</Typography.Text>
            </Space>
          ) },
          { title: t("deal.stage"), key: "stage", render: (_, deal) => labelOf(deal.stage) },
          { title: t("register.amount"), key: "value", render: (_, deal) => money(deal.value, language) },
          { title: t("deal.probability"), key: "probability", render: (_, deal) => `${deal.probability}%` },
          { title: t("register.closeDate"), key: "close", render: (_, deal) => date(deal.expected_close_date, language) },
          { title: t("deal.owner"), key: "owner", render: (_, deal) => deal.owner_id ?? t("deal.pool") },
          { title: t("register.source"), key: "source", render: (_, deal) => deal.source ?? "—" },
        ]}
      />
      {next && (
        <Button onClick={() => void more()}>{t("board.more")}</Button>
      )}
    </Space>
  );
}
