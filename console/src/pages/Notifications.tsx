/** The inbox: the caller's messages, newest first (unread in bold), each linking to its deal,
 * marked read one by one or all at once; and the preferences: per kind in the app and by
 * mail, the address and the language of the mail. Loaded lazily; the header's bell counts. */
import { Alert, App, Button, Checkbox, Form, Input, Select, Space, Switch, Table, Tabs, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../api/client";
import { dateTime } from "../format";
import { useLive } from "../live";
import { navigate } from "../router";
import type { Session } from "../session";

type Item = Schemas["InboxItem"];
type Preferences = Schemas["PreferencesOut"];
type Kind = Item["kind"];
const PAGE = 20;
const KINDS: Kind[] = [
  "review_waiting",
  "registration_approved",
  "registration_rejected",
  "assigned",
  "close_date_approaching",
  "recycle_warning",
  "recycled",
  "task_due",
  "task_overdue",
];

function changed(): void {
  window.dispatchEvent(new Event("crm:inbox-changed")); // the bell counts again
}

function Inbox({ session }: { session: Session }) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [page, setPage] = useState(1);
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [inbox, setInbox] = useState<Schemas["Inbox"] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const load = useCallback(async () => {
    const { data, error } = await api.GET("/notifications/inbox", {
      params: { query: { limit: PAGE, offset: (page - 1) * PAGE, unread_only: unreadOnly } },
    });
    if (data) {
      setInbox(data);
      setFailure(null);
    } else setFailure(reason(error));
  }, [page, unreadOnly]);
  useEffect(() => {
    void load();
  }, [load]);
  useLive("notifications", () => void load(), session);

  const markRead = async (item: Item) => {
    const { data, error } = await api.POST("/notifications/inbox/{notification_id}/read", {
      params: { path: { notification_id: item.notification_id } },
    });
    if (!data) return void message.error(reason(error));
    // the answer is the change; the inbox's read model follows within moments
    setInbox((before) => before && {
      ...before,
      unread: data.unread,
      items: before.items.map((i) => (i.notification_id === item.notification_id ? { ...i, read_at: new Date().toISOString() } : i)),
    });
    changed();
  };
  const markAll = async () => {
    const { data, error } = await api.POST("/notifications/inbox/read-all");
    if (!data) return void message.error(reason(error));
    message.success(t("inbox.markedAll", { count: data.marked }));
    setInbox((before) => before && { ...before, unread: 0, items: before.items.map((i) => ({ ...i, read_at: i.read_at ?? new Date().toISOString() })) });
    changed();
  };

  return (
    <Space direction="vertical" style={{ width: "100%" }}>
      {failure && <Alert type="error" showIcon message={failure} />}
      <Space>
        <Typography.Text>{t("inbox.unread", { count: inbox?.unread ?? 0 })}</Typography.Text>
        <Checkbox checked={unreadOnly} onChange={(e) => { setUnreadOnly(e.target.checked); setPage(1); }}>
          {t("inbox.unreadOnly")}
        </Checkbox>
        <Button onClick={() => void markAll()} disabled={!inbox?.unread}>{t("inbox.markAll")}</Button>
      </Space>
      <Table<Item>
        rowKey="notification_id"
        loading={inbox === null && !failure}
        dataSource={inbox?.items ?? []}
        locale={{ emptyText: t("inbox.empty") }}
        pagination={{ current: page, pageSize: PAGE, total: inbox?.total ?? 0, onChange: setPage, showSizeChanger: false }}
        columns={[
          { title: t("inbox.kind"), key: "kind", render: (_, item) => <Tag>{t(`inbox.kinds.${item.kind}`)}</Tag> },
          { title: t("inbox.message"), key: "message", render: (_, item) => (
            <Typography.Text strong={!item.read_at}>{t(`inbox.texts.${item.kind}`, { ...item.params, deal_name: item.params.deal_name || "—" })}</Typography.Text>
          ) },
          { title: t("inbox.when"), key: "when", render: (_, item) => dateTime(item.happened_at, language) },
          { title: t("queue.actions"), key: "actions", render: (_, item) => (
            <Space>
              {item.deal_id && (
                <Button type="link" onClick={() => { if (!item.read_at) void markRead(item); navigate(`/deals/${item.deal_id}`); }}>
                  {t("inbox.open")}
                </Button>
              )}
              {!item.read_at && (
                <Button onClick={() => void markRead(item)} aria-label={t("inbox.markReadOf", { name: item.params.deal_name ?? "" })}>
                  {t("inbox.markRead")}
                </Button>
              )}
            </Space>
          ) },
        ]}
      />
    </Space>
  );
}

function PreferencesForm() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [chosen, setChosen] = useState<Preferences | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    void api.GET("/notifications/preferences").then(({ data }) => {
      if (!data) return;
      setChosen(data);
      form.setFieldsValue({ email: data.email ?? "", language: data.language, kinds: data.kinds });
    });
  }, [form]);

  const save = async (values: { email: string; language: "zh-CN" | "en"; kinds: Preferences["kinds"] }) => {
    setSaving(true);
    const { data, error } = await api.PUT("/notifications/preferences", {
      body: { email: values.email.trim() || null, language: values.language, kinds: values.kinds },
    });
    setSaving(false);
    if (data) {
      setChosen(data);
      message.success(t("inbox.saved"));
    } else message.error(t("inbox.refused", { reason: reason(error) }));
  };

  if (!chosen) return null;
  return (
    <Form form={form} layout="vertical" onFinish={(values) => void save(values)} style={{ maxWidth: 640 }}>
      {!chosen.mail_configured && <Alert type="info" showIcon message={t("inbox.noMailServer")} style={{ marginBottom: 16 }} />}
      <Form.Item name="email" label={t("inbox.email")} rules={[{ type: "email", message: t("inbox.badEmail") }]}>
        <Input placeholder="li.lei@example.com" />
      </Form.Item>
      <Form.Item name="language" label={t("inbox.mailLanguage")}>
        <Select options={[{ value: "zh-CN", label: "中文" }, { value: "en", label: "English" }]} />
      </Form.Item>
      <Table
        rowKey="kind"
        pagination={false}
        size="small"
        dataSource={KINDS.map((kind) => ({ kind }))}
        columns={[
          { title: t("inbox.kind"), key: "kind", render: (_, row: { kind: Kind }) => t(`inbox.kinds.${row.kind}`) },
          ...(["in_app", "email"] as const).map((channel) => ({
            title: t(`inbox.channel.${channel}`),
            key: channel,
            render: (_: unknown, row: { kind: Kind }) => (
              <Form.Item name={["kinds", row.kind, channel]} valuePropName="checked" noStyle>
                <Switch aria-label={`${t(`inbox.kinds.${row.kind}`)} · ${t(`inbox.channel.${channel}`)}`} />
              </Form.Item>
            ),
          })),
        ]}
      />
      <Button type="primary" htmlType="submit" loading={saving} style={{ marginTop: 16 }}>
        {t("inbox.save")}
      </Button>
    </Form>
  );
}

export default function NotificationsPage({ session }: { session: Session }) {
  const { t } = useTranslation();
  return (
    <Space direction="vertical" style={{ width: "100%" }}>
      <Typography.Title level={3}>{t("inbox.title")}</Typography.Title>
      <Tabs
        items={[
          { key: "inbox", label: t("inbox.tab"), children: <Inbox session={session} /> },
          { key: "preferences", label: t("inbox.preferences"), children: <PreferencesForm /> },
        ]}
      />
    </Space>
  );
}
