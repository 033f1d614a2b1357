/** The pool: deals nobody owns any more (recycled), longest waiting first; claim one to own it. */
import { Alert, App, Button, Result, Space, Table, Typography } from "antd";
import { useCallback, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../api/client";
import { date, dateTime, money } from "../format";
import { usePagedList } from "../paging";
import { canClaim, type Session } from "../session";

type PoolCard = Schemas["PoolCard"];
const PAGE = 20;

export default function PoolPage({ session }: { session: Session }) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [page, setPage] = useState(1);
  const [busy, setBusy] = useState<string | null>(null);

  // one more than a page: whether there is a next one
  const ask = useCallback(() => api.GET("/registration/pool", { params: { query: { limit: PAGE + 1, offset: (page - 1) * PAGE } } }), [page]);
  const { items, setItems, failure } = usePagedList<PoolCard>(ask);

  const claim = async (deal: PoolCard) => {
    setBusy(deal.deal_id);
    const { data, error } = await api.POST("/registration/deals/{deal_id}/claim", {
      params: { path: { deal_id: deal.deal_id } },
    });
    setBusy(null);
    if (data) {
      message.success(t("pool.claimed", { name: deal.name }));
      // the answer is the claim; the pool's read model follows within moments, so no reload
      setItems((before) => before?.filter((item) => item.deal_id !== deal.deal_id) ?? null);
    } else message.error(t("pool.refused", { name: deal.name, reason: reason(error) }));
  };

  if (failure?.status === 403) return <Result status="403" title={t("pool.forbidden")} subTitle={failure.text} />;
  const shown = (items ?? []).slice(0, PAGE);
  const more = (items?.length ?? 0) > PAGE;

  return (
    <Space direction="vertical" style={{ width: "100%" }}>
      <Typography.Title level={3}>{t("pool.title")}</Typography.Title>
      {failure && <Alert type="error" showIcon message={t("board.failed", { reason: failure.text })} />}
      <Table<PoolCard>
        rowKey="deal_id"
        loading={items === null && !failure}
        dataSource={shown}
        locale={{ emptyText: t("pool.empty") }}
        pagination={{ current: page, pageSize: PAGE, total: (page - 1) * PAGE + shown.length + (more ? 1 : 0), onChange: setPage, showSizeChanger: false }}
        columns={[
          { title: t("queue.deal"), key: "name", render: (_, deal) => (
            <Space direction="vertical" size={0}>
              <Typography.Text>{deal.name}</Typography.Text>
              <Typography.Text type="secondary">{deal.account_name}</Typography.Text>
            </Space>
          ) },
          { title: t("register.amount"), key: "value", render: (_, deal) => money(deal.value, language) },
          { title: t("register.closeDate"), key: "close", render: (_, deal) => date(deal.expected_close_date, language) },
          { title: t("pool.previousOwner"), key: "previous", render: (_, deal) => deal.previous_owner_id ?? "—" },
          { title: t("pool.recycled"), key: "recycled", render: (_, deal) => (
            <Space direction="vertical" size={0}>
              <span>{deal.recycled_at ? dateTime(deal.recycled_at, language) : "—"}</span>
              <Typography.Text type="secondary">{deal.recycle_reason ?? ""}</Typography.Text>
            </Space>
          ) },
          ...(canClaim(session)
            ? [{ title: t("queue.actions"), key: "claim", render: (_: unknown, deal: PoolCard) => (
                <Button type="primary" loading={busy === deal.deal_id} onClick={() => void claim(deal)} aria-label={t("pool.claimDeal", { name: deal.name })}>
                  {t("pool.claim")}
                </Button>
              ) }]
            : []),
        ]}
      />
    </Space>
  );
}
