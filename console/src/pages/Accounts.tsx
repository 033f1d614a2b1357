/** Accounts: every customer (customers are nobody's own), filtered by name and tier, sorted,
 * paged by a cursor; a row opens to the deals in the caller's reach and their contacts. */
import { Button, Card, Input, Result, Select, Space, Table, Tag, Typography } from "antd";
import { useCallback, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, type Schemas } from "../api/client";
import { dateTime, money } from "../format";
import { usePagedList } from "../paging";
import { navigate } from "../router";
import ExportButtons from "./ExportButtons";

type Account = Schemas["AccountRow"];
type Sort = "name" | "-name" | "opened_at" | "-opened_at";
const PAGE = 50;

interface Filters {
  q?: string;
  tier?: "A" | "B" | "C";
  sort: Sort;
}

export default function AccountsPage() {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [filters, setFilters] = useState<Filters>(() => ({ q: new URLSearchParams(window.location.search).get("q") ?? undefined, sort: "name" }));
  const query = { q: filters.q || null, tier: filters.tier ?? null, sort: filters.sort };
  const ask = useCallback(
    (cursor: string | null) =>
      api.GET("/registration/accounts", {
        params: { query: { q: filters.q || null, tier: filters.tier ?? null, sort: filters.sort, limit: PAGE, cursor } },
      }),
    [filters],
  );
  const { items, next, more, failure } = usePagedList<Account>(ask);

  if (failure) return <Result status={failure.status === 403 ? "403" : "error"} title={t("board.failed", { reason: failure.text })} />;

  return (
    <main>
      <Typography.Title level={3}>{t("accounts.title")}</Typography.Title>
      <Card size="small">
        <Space wrap style={{ marginBottom: 12 }}>
          <Input.Search
            aria-label={t("accounts.search")}
            placeholder={t("accounts.search")}
            defaultValue={filters.q}
            allowClear
            style={{ width: 220 }}
            onSearch={(value) => setFilters((f) => ({ ...f, q: value.trim() || undefined }))}
          />
          <Select<"all" | "A" | "B" | "C">
            aria-label={t("accounts.tier")}
            value={filters.tier ?? "all"}
            style={{ width: 120 }}
            onChange={(value) => setFilters((f) => ({ ...f, tier: value === "all" ? undefined : value }))}
            options={(["all", "A", "B", "C"] as const).map((value) => ({ value, label: value === "all" ? t("accounts.anyTier") : value }))}
          />
          <Select<Sort>
            aria-label={t("accounts.sort")}
            value={filters.sort}
            style={{ width: 180 }}
            onChange={(sort) => setFilters((f) => ({ ...f, sort }))}
            options={(["name", "-name", "-opened_at", "opened_at"] as const).map((value) => ({ value, label: t(`accounts.sorts.${value}`) }))}
          />
          <ExportButtons name="accounts" fetchFile={(format) => api.GET("/registration/accounts", { params: { query: { ...query, format } }, parseAs: "blob" })} />
        </Space>
        <Table<Account>
          size="small"
          rowKey="account_id"
          loading={items === null}
          dataSource={items ?? []}
          pagination={false}
          expandable={{
            expandedRowRender: (account) => (
              <Space direction="vertical" style={{ width: "100%" }}>
                <Table
                  size="small"
                  rowKey="deal_id"
                  pagination={false}
                  title={() => t("accounts.deals")}
                  dataSource={account.deals}
                  locale={{ emptyText: t("accounts.noDeals") }}
                  columns={[
                    { title: t("queue.deal"), key: "name", render: (_, deal) => <Typography.Link onClick={() => navigate(`/deals/${deal.deal_id}`)}>{deal.name}</Typography.Link> },
                    { title: t("deal.owner"), key: "owner", render: (_, deal) => deal.owner_id ?? t("deal.pool") },
                    { title: t("register.amount"), key: "value", render: (_, deal) => money(deal.value, language) },
                    { title: t("accounts.status"), key: "status", render: (_, deal) => deal.outcome ?? deal.registration_status },
                  ]}
                />
                <ContactTable contacts={account.contacts} />
              </Space>
            ),
          }}
          columns={[
            { title: t("accounts.name"), dataIndex: "name" },
            { title: t("accounts.tier"), dataIndex: "tier", render: (v: string | null) => (v ? <Tag>{v}</Tag> : "—") },
            { title: t("accounts.deals"), key: "deals", render: (_, account) => account.deals.length },
            { title: t("accounts.contacts"), key: "contacts", render: (_, account) => account.contacts.length },
            { title: t("accounts.opened"), dataIndex: "opened_at", render: (v: string) => dateTime(v, language) },
          ]}
        />
        {next && (
          <Button style={{ marginTop: 12 }} onClick={() => void more()}>
            {t("leads.more")}
          </Button>
        )}
      </Card>
    </main>
  );
}

export function ContactTable({ contacts, withAccount = false }: { contacts: Schemas["ContactRow"][]; withAccount?: boolean }) {
  const { t } = useTranslation();
  return (
    <Table<Schemas["ContactRow"]>
      size="small"
      rowKey="contact_id"
      pagination={false}
      title={withAccount ? undefined : () => t("accounts.contacts")}
      dataSource={contacts}
      locale={{ emptyText: t("accounts.noContacts") }}
      columns={[
        { title: t("contacts.name"), dataIndex: "name", render: (v: string | null) => v ?? "—" },
        { title: t("contacts.phone"), dataIndex: "phone", render: (v: string | null) => v ?? "—" },
        { title: t("contacts.email"), dataIndex: "email", render: (v: string | null) => v ?? "—" },
        ...(withAccount
          ? [
              {
                title: t("contacts.account"),
                key: "account",
                render: (_: unknown, c: Schemas["ContactRow"]) => (
                  <Typography.Link onClick={() => navigate(`/accounts?q=${encodeURIComponent(c.account_name ?? "")}`)}>{c.account_name ?? "—"}</Typography.Link>
                ),
              },
            ]
          : []),
        {
          title: t("contacts.deal"),
          key: "deal",
          render: (_: unknown, c: Schemas["ContactRow"]) => <Typography.Link onClick={() => navigate(`/deals/${c.deal_id}`)}>{c.deal_name ?? c.deal_id}</Typography.Link>,
        },
        { title: t("deal.owner"), dataIndex: "owner_id", render: (v: string | null) => v ?? t("deal.pool") },
      ]}
    />
  );
}
