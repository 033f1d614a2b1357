/** Contacts: those of the deals in the caller's reach, found by any part of a name, phone or
 * e-mail, sorted, paged by a cursor; each links to its account and its deal. */
import { Button, Card, Input, Result, Select, Space, Typography } from "antd";
import { useCallback, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, type Schemas } from "../api/client";
import { usePagedList } from "../paging";
import { ContactTable } from "./Accounts";
import ExportButtons from "./ExportButtons";

type Sort = "name" | "-name" | "-added_at" | "added_at";
const PAGE = 50;

export default function ContactsPage() {
  const { t } = useTranslation();
  const [q, setQ] = useState<string | undefined>(() => new URLSearchParams(window.location.search).get("q") ?? undefined);
  const [sort, setSort] = useState<Sort>("name");
  const ask = useCallback(
    (cursor: string | null) => api.GET("/registration/contacts", { params: { query: { q: q ?? null, sort, limit: PAGE, cursor } } }),
    [q, sort],
  );
  const { items, next, more, failure } = usePagedList<Schemas["ContactRow"]>(ask);

  if (failure) return <Result status={failure.status === 403 ? "403" : "error"} title={t("board.failed", { reason: failure.text })} />;

  return (
    <main>
      <Typography.Title level={3}>{t("contacts.title")}</Typography.Title>
      <Card size="small">
        <Space wrap style={{ marginBottom: 12 }}>
          <Input.Search aria-label={t("contacts.search")} placeholder={t("contacts.search")} defaultValue={q} allowClear style={{ width: 240 }} onSearch={(value) => setQ(value.trim() || undefined)} />
          <Select<Sort>
            aria-label={t("accounts.sort")}
            value={sort}
            style={{ width: 180 }}
            onChange={setSort}
            options={(["name", "-name", "-added_at", "added_at"] as const).map((value) => ({ value, label: t(`contacts.sorts.${value}`) }))}
          />
          <ExportButtons name="contacts" fetchFile={(format) => api.GET("/registration/contacts", { params: { query: { q: q ?? null, sort, format } }, parseAs: "blob" })} />
        </Space>
        {items === null ? null : <ContactTable contacts={items} withAccount />}
        {next && (
          <Button style={{ marginTop: 12 }} onClick={() => void more()}>
            {t("leads.more")}
          </Button>
        )}
      </Card>
    </main>
  );
}
