/** The partner report: each channel partner's registrations, how many were approved, its
 * conflicts and what its deals won. A manager sees the partners they manage. */
import { Result, Table, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../api/client";
import { sums } from "../format";
import ExportButtons from "./ExportButtons";

type Figures = Schemas["PartnerFigures"];

export default function PartnersPage() {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [items, setItems] = useState<Figures[] | null>(null);
  const [failure, setFailure] = useState<{ status: number; text: string } | null>(null);

  useEffect(() => {
    void api.GET("/registration/partners/report").then(({ data, error, response }) => {
      if (data) setItems(data.items);
      else setFailure({ status: response.status, text: reason(error) });
    });
  }, []);

  if (failure) return <Result status={failure.status === 403 ? "403" : "error"} title={t("board.failed", { reason: failure.text })} />;
  return (
    <main>
      <Typography.Title level={3}>{t("partners.title")}</Typography.Title>
      <div style={{ marginBottom: 12 }}>
        <ExportButtons name="partner-report" fetchFile={(format) => api.GET("/registration/partners/report", { params: { query: { format } }, parseAs: "blob" })} />
      </div>
      <Table<Figures>
        size="small"
        rowKey="partner_id"
        loading={items === null}
        dataSource={items ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        columns={[
          { title: t("partners.name"), dataIndex: "name" },
          { title: t("partners.registrations"), dataIndex: "registrations", align: "right" },
          { title: t("partners.pending"), dataIndex: "pending", align: "right" },
          { title: t("partners.approved"), dataIndex: "approved", align: "right" },
          { title: t("partners.rejected"), dataIndex: "rejected", align: "right" },
          {
            title: t("partners.approvalRate"),
            dataIndex: "approval_rate",
            align: "right",
            render: (rate: number | null) => (rate === null ? "—" : `${Math.round(rate * 100)}%`),
          },
          { title: t("partners.conflicts"), dataIndex: "conflicts", align: "right" },
          { title: t("partners.wonDeals"), dataIndex: "won_deals", align: "right" },
          { title: t("partners.won"), key: "won", align: "right", render: (_, row) => sums(row.won, language) },
        ]}
      />
    </main>
  );
}
