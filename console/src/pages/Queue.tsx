/** The manager's approval queue: pending registrations with why they wait (the conflict the
 * rules found, a value below the threshold, a close too far out); approve, reject with a
 * reason, or assign to another owner. Only registrations in the caller's reach are listed. */
import { Alert, App, Button, Input, Modal, Result, Select, Space, Table, Tag, Typography } from "antd";
import { useCallback, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../api/client";
import { date, money } from "../format";
import { useLive } from "../live";
import { usePagedList } from "../paging";
import { navigate } from "../router";
import { canReview, type Session } from "../session";

type Queued = Schemas["QueuedRegistration"];
type RejectReason = Schemas["Reject"]["reason"];
const PAGE = 20;
const REJECT_REASONS: RejectReason[] = ["duplicate", "conflict", "below_threshold", "other"];

export default function QueuePage({ session }: { session: Session }) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [page, setPage] = useState(1);
  const [rejecting, setRejecting] = useState<Queued | null>(null);
  const [rejectReason, setRejectReason] = useState<RejectReason>("other");
  const [note, setNote] = useState("");
  const [assigning, setAssigning] = useState<Queued | null>(null);
  const [newOwner, setNewOwner] = useState("");
  const [busy, setBusy] = useState<string | null>(null);

  const ask = useCallback(
    () => api.GET("/registration/deals", { params: { query: { status: "pending", limit: PAGE, offset: (page - 1) * PAGE } } }),
    [page],
  );
  const { items, setItems, total, setTotal, failure, reload } = usePagedList<Queued>(ask);

  // A registration someone else made, approved or assigned: the queue asks again.
  useLive("registration", () => void reload(), session);

  /** The answer is the deal as it now stands; the queue's read model follows within moments,
   * so the row changes (or leaves, once no longer pending) from the answer, not a reload. */
  const act = async (
    deal: Queued,
    run: () => Promise<{ error?: unknown; data?: Schemas["RegistrationDeal"] }>,
    done: string,
  ) => {
    setBusy(deal.deal_id);
    const { error, data } = await run();
    setBusy(null);
    if (data) {
      message.success(t(done, { name: deal.name }));
      const stillPending = data.registration_status === "pending";
      setItems((before) =>
        (before ?? [])
          .map((item) => (item.deal_id === deal.deal_id ? { ...item, owner_id: data.owner_id } : item))
          .filter((item) => stillPending || item.deal_id !== deal.deal_id),
      );
      if (!stillPending) setTotal((count) => Math.max(0, count - 1));
      return true;
    }
    message.error(t("queue.refused", { name: deal.name, reason: reason(error) }));
    return false;
  };

  const approve = (deal: Queued) =>
    act(deal, () => api.POST("/registration/deals/{deal_id}/approve", { params: { path: { deal_id: deal.deal_id } } }), "queue.approved");

  const reject = async () => {
    if (!rejecting) return;
    const deal = rejecting;
    const ok = await act(
      deal,
      () =>
        api.POST("/registration/deals/{deal_id}/reject", {
          params: { path: { deal_id: deal.deal_id } },
          body: {
            reason: rejectReason,
            note: note.trim() || null,
            conflicting_deal_id: rejectReason === "conflict" || rejectReason === "duplicate" ? (deal.conflicts[0]?.deal_id ?? null) : null,
          },
        }),
      "queue.rejected",
    );
    if (ok) setRejecting(null);
  };

  const assign = async () => {
    if (!assigning || !newOwner.trim()) return;
    const deal = assigning;
    const ok = await act(
      deal,
      () =>
        api.POST("/registration/deals/{deal_id}/assign", {
          params: { path: { deal_id: deal.deal_id } },
          body: { owner_id: newOwner.trim() },
        }),
      "queue.assigned",
    );
    if (ok) setAssigning(null);
  };

  if (failure?.status === 403) return <Result status="403" title={t("queue.forbidden")} subTitle={failure.text} />;
  const reviewer = canReview(session);

  return (
    <Space direction="vertical" style={{ width: "100%" }}>
      <Typography.Title level={3}>{t("queue.title")}</Typography.Title>
      {failure && <Alert type="error" showIcon message={t("board.failed", { reason: failure.text })} />}
      <Table<Queued>
        rowKey="deal_id"
        loading={items === null && !failure}
        dataSource={items ?? []}
        locale={{ emptyText: t("queue.empty") }}
        pagination={{ current: page, pageSize: PAGE, total, onChange: setPage, showSizeChanger: false }}
        columns={[
          {
            title: t("queue.deal"),
            key: "name",
            render: (_, deal) => (
              <Space direction="vertical" size={0}>
                <Typography.Link onClick={() => navigate(`/deals/${deal.deal_id}`)}>{deal.name}</Typography.Link>
                <Typography.Text type="secondary">{deal.account_name}</Typography.Text>
              </Space>
            ),
          },
          { title: t("deal.owner"), key: "owner", render: (_, deal) => deal.owner_id ?? t("deal.pool") },
          { title: t("register.amount"), key: "value", render: (_, deal) => money(deal.value, language) },
          { title: t("register.closeDate"), key: "close", render: (_, deal) => date(deal.expected_close_date, language) },
          {
            title: t("queue.why"),
            key: "why",
            render: (_, deal) => (
              <Space direction="vertical" size={2}>
                {deal.conflicts.map((conflict) => (
                  <Tag color="red" key={conflict.deal_id}>
                    {t("queue.conflict", { matchedOn: conflict.matched_on })}{" "}
                    <Typography.Link onClick={() => navigate(`/deals/${conflict.deal_id}`)}>{conflict.deal_id.slice(0, 8)}</Typography.Link>
                  </Tag>
                ))}
                {deal.review_reasons.map((text) => (
                  <Tag color="orange" key={text} style={{ whiteSpace: "normal" }}>
                    {text}
                  </Tag>
                ))}
              </Space>
            ),
          },
          ...(reviewer
            ? [
                {
                  title: t("queue.actions"),
                  key: "actions",
                  render: (_: unknown, deal: Queued) => (
                    <Space wrap>
                      <Button type="primary" loading={busy === deal.deal_id} onClick={() => void approve(deal)} aria-label={t("queue.approveDeal", { name: deal.name })}>
                        {t("queue.approve")}
                      </Button>
                      <Button danger onClick={() => { setRejecting(deal); setRejectReason(deal.conflicts.length ? "conflict" : "other"); setNote(""); }} aria-label={t("queue.rejectDeal", { name: deal.name })}>
                        {t("queue.reject")}
                      </Button>
                      <Button onClick={() => { setAssigning(deal); setNewOwner(""); }} aria-label={t("queue.assignDeal", { name: deal.name })}>
                        {t("queue.assign")}
                      </Button>
                    </Space>
                  ),
                },
              ]
            : []),
        ]}
      />
      <Modal open={rejecting !== null} title={t("queue.rejectTitle", { name: rejecting?.name ?? "" })} okText={t("queue.reject")} okButtonProps={{ danger: true }} cancelText={t("register.cancel")} onOk={() => void reject()} onCancel={() => setRejecting(null)}>
        <Space direction="vertical" style={{ width: "100%" }}>
          <Select<RejectReason>
            aria-label={t("queue.reason")}
            value={rejectReason}
            onChange={setRejectReason}
            style={{ width: "100%" }}
            options={REJECT_REASONS.map((value) => ({ value, label: t(`queue.reasons.${value}`) }))}
          />
          <Input.TextArea aria-label={t("queue.note")} placeholder={t("queue.note")} value={note} maxLength={1000} onChange={(event) => setNote(event.target.value)} />
        </Space>
      </Modal>
      <Modal open={assigning !== null} title={t("queue.assignTitle", { name: assigning?.name ?? "" })} okText={t("queue.assign")} okButtonProps={{ disabled: !newOwner.trim() }} cancelText={t("register.cancel")} onOk={() => void assign()} onCancel={() => setAssigning(null)}>
        <Input aria-label={t("queue.newOwner")} placeholder={t("queue.newOwner")} value={newOwner} maxLength={200} onChange={(event) => setNewOwner(event.target.value)} />
      </Modal>
    </Space>
  );
}
