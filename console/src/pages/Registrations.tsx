/** A partner's own page: its organisation's registrations (pending, approved, rejected) and
 * registering a new one. It reads nothing else: not the board, the pool or the accounts. */
import { Button, Result, Space, Table, Tag, Typography } from "antd";
import { lazy, Suspense, useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../api/client";
import { date, money } from "../format";

const RegisterDeal = lazy(() => import("./RegisterDeal"));
type Registration = Schemas["QueuedRegistration"];
const PAGE = 20;
// solid colours dark enough for white text (WCAG AA, checked by axe)
const COLOURS = { pending: "#ad4e00", approved: "#237804", rejected: "#a8071a" } as const;

export default function RegistrationsPage({ registerNow = false }: { registerNow?: boolean }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [page, setPage] = useState(1);
  const [items, setItems] = useState<Registration[] | null>(null);
  const [total, setTotal] = useState(0);
  const [failure, setFailure] = useState<{ status: number; text: string } | null>(null);
  const [registering, setRegistering] = useState(registerNow);

  const load = useCallback(async () => {
    const { data, error, response } = await api.GET("/registration/deals", { params: { query: { limit: PAGE, offset: (page - 1) * PAGE } } });
    if (data) {
      setItems(data.items);
      setTotal(data.total);
      setFailure(null);
    } else setFailure({ status: response.status, text: reason(error) });
  }, [page]);

  useEffect(() => {
    void load();
  }, [load]);

  /** The list is a read model: a new registration shows within moments, so ask until it does. */
  const settle = async (dealId: string) => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const { data } = await api.GET("/registration/deals", { params: { query: { limit: PAGE, offset: 0 } } });
      if (data?.items.some((item) => item.deal_id === dealId)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    setPage(1);
    await load();
  };

  if (failure) return <Result status={failure.status === 403 ? "403" : "error"} title={t("board.failed", { reason: failure.text })} />;
  return (
    <main>
      <Space style={{ marginBottom: 12 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("registrations.title")}
        </Typography.Title>
        <Button type="primary" onClick={() => setRegistering(true)}>
          {t("registrations.register")}
        </Button>
      </Space>
      <Table<Registration>
        size="small"
        rowKey="deal_id"
        loading={items === null}
        dataSource={items ?? []}
        pagination={{ current: page, pageSize: PAGE, total, hideOnSinglePage: true, onChange: setPage }}
        columns={[
          { title: t("register.name"), dataIndex: "name" },
          { title: t("register.account"), dataIndex: "account_name" },
          { title: t("register.amount"), key: "value", align: "right", render: (_, r) => money(r.value, language) },
          { title: t("register.closeDate"), dataIndex: "expected_close_date", render: (v: string) => date(v, language) },
          {
            title: t("registrations.status"),
            dataIndex: "registration_status",
            render: (status: Registration["registration_status"]) => <Tag color={COLOURS[status]}>{t(`registrations.statuses.${status}`)}</Tag>,
          },
        ]}
      />
      {registering && (
        <Suspense fallback={null}>
          <RegisterDeal open={registering} onClose={() => setRegistering(false)} onRegistered={(dealId) => void settle(dealId)} />
        </Suspense>
      )}
    </main>
  );
}
