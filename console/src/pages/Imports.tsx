/** Imports: a CSV or XLSX file of leads or deals, one record a row; the answer is a report of
 * every row (imported, a duplicate of which deal, or invalid and why). A template to start from. */
import { Alert, Button, Checkbox, Radio, Result, Space, Table, Tag, Typography, Upload } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../api/client";
import { navigate } from "../router";
import { canAssignByRules, canRegister, type Session } from "../session";

type Kind = "leads" | "deals";
type Report = Schemas["ImportReport"];
type Row = Schemas["ImportedRow"];
type Outcome = "imported" | "duplicate" | "already" | "invalid";

/** An example close date a quarter ahead: within the registration rules' horizon whenever the
 * template is downloaded. */
const quarterAhead = () => new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);

/** The columns the server reads (services/registration/imports.py), with one example row. */
const templates = (): Record<Kind, string[][]> => ({
  deals: [
    ["name", "account_name", "contact_name", "phone", "email", "amount", "currency", "expected_close_date", "source", "product_line", "line_items"],
    // line_items: CODE:quantity[:unit_price[:discount %]], items separated by ";" (imports.lineItemsHint)
    ["新城百货 ERP 升级", "新城百货", "王经理", "13800000000", "wang@example.com", "120000", "CNY", quarterAhead(), "trade_fair", "ERP", "ERP-STD:10;SVC-IMPL:1:50000:5"],
  ],
  leads: [
    ["company", "contact_name", "phone", "email", "source", "region", "industry", "budget_amount", "budget_currency"],
    ["星河影城", "李女士", "13900000000", "li@example.com", "website", "华东", "零售", "50000", "CNY"],
  ],
});

function csvOf(rows: string[][]): string {
  const cell = (value: string) => (/[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  return rows.map((row) => row.map(cell).join(",")).join("\r\n") + "\r\n";
}

/** A refused row naming a conflicting deal is a duplicate registration; any other refusal names
 * the fields at fault. */
function outcome(row: Row): Outcome {
  if (row.status === "created") return "imported";
  if (row.status === "already_imported") return "already";
  return row.conflict?.conflicting_deal_id ? "duplicate" : "invalid";
}

const COLOURS: Record<Outcome, string> = { imported: "green", duplicate: "orange", already: "default", invalid: "red" };

function DealLink({ id }: { id: string }) {
  return (
    <Typography.Link
      href={`/deals/${id}`}
      onClick={(event) => {
        event.preventDefault();
        navigate(`/deals/${id}`);
      }}
    >
      {id}
    </Typography.Link>
  );
}

export default function ImportsPage({ session }: { session: Session }) {
  const { t } = useTranslation();
  const [kind, setKind] = useState<Kind>("deals");
  const [sending, setSending] = useState(false);
  const [report, setReport] = useState<Report | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [byRules, setByRules] = useState(false);

  const send = async (file: File) => {
    setSending(true);
    setFailure(null);
    setReport(null);
    const form = new FormData();
    form.append("file", file, file.name);
    const { data, error } = await api.POST("/registration/imports/{kind}", {
      params: { path: { kind }, query: { assign: byRules ? "rules" : "importer" } },
      // multipart as the browser writes it (its boundary in the Content-Type), not JSON
      body: form as unknown as { file: string },
      bodySerializer: (body) => body as unknown as FormData,
    });
    setSending(false);
    if (data) setReport(data);
    else setFailure(reason(error));
  };

  if (!canRegister(session)) return <Result status="403" title={t("imports.forbidden")} />;
  // a BOM first: Excel then reads the Chinese example as UTF-8, as the server does
  const template = `data:text/csv;charset=utf-8,${encodeURIComponent(`\ufeff${csvOf(templates()[kind])}`)}`;

  return (
    <main>
      <Typography.Title level={3}>{t("imports.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("imports.hint")}</Typography.Paragraph>
      {kind === "deals" && <Typography.Paragraph type="secondary">{t("imports.lineItemsHint")}</Typography.Paragraph>}
      <Space wrap style={{ marginBottom: 16 }}>
        <Radio.Group
          aria-label={t("imports.kind")}
          value={kind}
          onChange={(event) => setKind(event.target.value as Kind)}
          optionType="button"
          options={[
            { label: t("imports.deals"), value: "deals" },
            { label: t("imports.leads"), value: "leads" },
          ]}
        />
        <Upload
          accept=".csv,.xlsx"
          showUploadList={false}
          beforeUpload={(file) => {
            void send(file);
            return false; // sent by `send`, through the API client
          }}
        >
          <Button type="primary" loading={sending}>
            {t("imports.upload")}
          </Button>
        </Upload>
        {canAssignByRules(session) && (
          <Checkbox checked={byRules} onChange={(event) => setByRules(event.target.checked)}>
            {t("imports.byRules")}
          </Checkbox>
        )}
        <a href={template} download={`${kind}-template.csv`}>
          {t("imports.template")}
        </a>
      </Space>
      {failure && <Alert type="error" showIcon role="alert" title={t("imports.failed", { reason: failure })} style={{ marginBottom: 16 }} />}
      {report && (
        <>
          <Typography.Paragraph data-testid="import-summary">
            {t("imports.summary", {
              rows: report.rows,
              created: report.created,
              refused: report.refused,
              already: report.already_imported,
            })}
          </Typography.Paragraph>
          <Table<Row>
            rowKey="row"
            size="small"
            dataSource={report.report}
            pagination={report.report.length > 50 ? { pageSize: 50 } : false}
            columns={[
              { title: t("imports.row"), dataIndex: "row", width: 80 },
              {
                title: t("imports.status"),
                key: "status",
                width: 140,
                render: (_, row) => <Tag color={COLOURS[outcome(row)]}>{t(`imports.outcome.${outcome(row)}`)}</Tag>,
              },
              { title: t("imports.details"), key: "details", render: (_, row) => <Details row={row} kind={report.kind} /> },
            ]}
          />
        </>
      )}
    </main>
  );
}

function Details({ row, kind }: { row: Row; kind: Kind }) {
  const { t } = useTranslation();
  const found = outcome(row);
  if (found === "duplicate" && row.conflict) {
    return (
      <span>
        {t("imports.conflict")} <DealLink id={row.conflict.conflicting_deal_id} />
        {row.conflict.matched_on ? ` (${t("imports.matchedOn", { on: row.conflict.matched_on })})` : ""}
      </span>
    );
  }
  if (found === "invalid") {
    return (
      <ul style={{ margin: 0, paddingLeft: 16 }}>
        {(row.errors ?? []).map((problem, index) => (
          <li key={index}>
            {problem.field ? <Typography.Text code>{problem.field}</Typography.Text> : null} {problem.msg}
          </li>
        ))}
      </ul>
    );
  }
  const assigned = row.assignment ? <Assignment done={row.assignment} /> : null;
  if (row.id && found === "imported" && kind === "deals") {
    return (
      <span>
        <DealLink id={row.id} />
        {row.registration_status === "pending" ? ` · ${t("imports.pending")}` : ""}
        {assigned}
      </span>
    );
  }
  return (
    <span>
      {row.id}
      {assigned}
    </span>
  );
}

/** What the assignment rules did to the row: whom they gave it, by which rule, or why nobody. */
function Assignment({ done }: { done: NonNullable<Row["assignment"]> }) {
  const { t } = useTranslation();
  const text =
    done.outcome === "assigned" || done.outcome === "unchanged"
      ? t("imports.assigned", { owner: done.owner_id, rule: done.rule })
      : t("imports.notAssigned", { why: done.reasons.at(-1) ?? "" });
  return <Typography.Text type="secondary" data-testid="row-assignment">{` · ${text}`}</Typography.Text>;
}
