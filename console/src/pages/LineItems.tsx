/** The deal's line items: a table of what it sells, and an editor that saves them all at
 * once (PUT …/line-items). Once there are items, the deal's value is their sum. */
import { Alert, Button, InputNumber, Select, Space, Table, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../api/client";
import { money } from "../format";
import { decimalText, lineTotal, linesSum, type DraftLine } from "../lineitems";

type Deal = Schemas["PipelineDeal"];
type Product = Schemas["Product"];

interface Row extends DraftLine {
  name: string;
}

function rowsOf(deal: Deal, language: string): Row[] {
  return deal.line_items.map((item) => ({
    productCode: item.product_code,
    name: language === "en" && item.name_en ? item.name_en : item.name_zh,
    quantity: item.quantity,
    unitPrice: item.unit_price.amount,
    discountPercent: item.discount_percent,
  }));
}

export default function LineItems({ deal, editable, onSaved }: { deal: Deal; editable: boolean; onSaved: (deal: Deal) => void }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const currency = deal.value.currency;
  const [editing, setEditing] = useState(false);
  const [rows, setRows] = useState<Row[]>(() => rowsOf(deal, language));
  const [catalogue, setCatalogue] = useState<Product[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!editing) setRows(rowsOf(deal, language));
  }, [deal, language, editing]);

  useEffect(() => {
    if (!editing) return;
    void api.GET("/pipeline/products", { params: { query: { active: true } } }).then(({ data }) => {
      // a line priced in another currency than the deal's could not be summed into its value
      if (data) setCatalogue(data.items.filter((p) => p.list_price.currency === currency));
    });
  }, [editing, currency]);

  const change = (index: number, patch: Partial<Row>) => setRows((now) => now.map((row, i) => (i === index ? { ...row, ...patch } : row)));

  const add = (code: string) => {
    const product = catalogue.find((p) => p.code === code);
    if (!product) return;
    setRows((now) => [
      ...now,
      {
        productCode: product.code,
        name: language === "en" && product.name_en ? product.name_en : product.name_zh,
        quantity: "1",
        unitPrice: product.list_price.amount, // the list price unless the rep changes it
        discountPercent: "0",
      },
    ]);
  };

  const save = async () => {
    setProblem(null);
    setBusy(true);
    const { data, error } = await api.PUT("/pipeline/deals/{deal_id}/line-items", {
      params: { path: { deal_id: deal.deal_id } },
      body: {
        items: rows.map((row) => ({
          product_code: row.productCode,
          quantity: row.quantity,
          unit_price: { amount: row.unitPrice, currency },
          discount_percent: row.discountPercent,
        })),
      },
    });
    setBusy(false);
    if (data) {
      setEditing(false);
      onSaved(data);
    } else setProblem(t("lineItems.refused", { reason: reason(error) }));
  };

  const total = (row: Row) => {
    try {
      return money({ amount: lineTotal(row.quantity, row.unitPrice, row.discountPercent), currency }, language);
    } catch {
      return "—";
    }
  };

  return (
    <div>
      {problem && <Alert type="error" showIcon role="alert" title={problem} style={{ marginBottom: 12 }} />}
      <Table<Row>
        size="small"
        pagination={false}
        rowKey={(row) => `${row.productCode}-${rows.indexOf(row)}`}
        dataSource={rows}
        locale={{ emptyText: <Typography.Text type="secondary">{t("lineItems.none")}</Typography.Text> }}
        columns={[
          { title: t("lineItems.product"), key: "product", render: (_, row) => `${row.name} (${row.productCode})` },
          {
            title: t("lineItems.quantity"),
            key: "quantity",
            render: (_, row, index) =>
              editing ? (
                <InputNumber
                  aria-label={t("lineItems.quantityOf", { code: row.productCode })}
                  min={0.001}
                  max={1000000}
                  precision={3}
                  value={Number(row.quantity)}
                  onChange={(v) => change(index, { quantity: decimalText(v, 3) })}
                />
              ) : (
                row.quantity
              ),
          },
          {
            title: t("lineItems.unitPrice"),
            key: "unitPrice",
            render: (_, row, index) =>
              editing ? (
                <InputNumber
                  aria-label={t("lineItems.unitPriceOf", { code: row.productCode })}
                  min={0}
                  precision={2}
                  value={Number(row.unitPrice)}
                  onChange={(v) => change(index, { unitPrice: decimalText(v, 2) })}
                />
              ) : (
                money({ amount: row.unitPrice, currency }, language)
              ),
          },
          {
            title: t("lineItems.discount"),
            key: "discount",
            render: (_, row, index) =>
              editing ? (
                <InputNumber
                  aria-label={t("lineItems.discountOf", { code: row.productCode })}
                  min={0}
                  max={100}
                  precision={2}
                  value={Number(row.discountPercent)}
                  onChange={(v) => change(index, { discountPercent: decimalText(v, 2) })}
                />
              ) : (
                `${row.discountPercent}%`
              ),
          },
          { title: t("lineItems.total"), key: "total", align: "right", render: (_, row) => <span data-line-total>{total(row)}</span> },
          ...(editing
            ? [
                {
                  title: t("lineItems.remove"),
                  key: "remove",
                  render: (_: unknown, row: Row, index: number) => (
                    <Button size="small" aria-label={t("lineItems.removeOne", { code: row.productCode })} onClick={() => setRows((now) => now.filter((_, i) => i !== index))}>
                      ×
                    </Button>
                  ),
                },
              ]
            : []),
        ]}
        summary={() =>
          rows.length ? (
            <Table.Summary.Row>
              <Table.Summary.Cell index={0} colSpan={4}>
                {t("lineItems.sum")}
              </Table.Summary.Cell>
              <Table.Summary.Cell index={4} align="right">
                <Typography.Text strong data-testid="line-items-sum">
                  {(() => {
                    try {
                      return money({ amount: linesSum(rows), currency }, language);
                    } catch {
                      return "—";
                    }
                  })()}
                </Typography.Text>
              </Table.Summary.Cell>
            </Table.Summary.Row>
          ) : null
        }
      />
      {editable && (
        <Space style={{ marginTop: 12 }} wrap>
          {editing ? (
            <>
              <Select
                aria-label={t("lineItems.addProduct")}
                placeholder={t("lineItems.addProduct")}
                style={{ width: 280 }}
                value={null}
                showSearch={{ optionFilterProp: "label" }}
                options={catalogue.map((p) => ({
                  value: p.code,
                  label: `${language === "en" && p.name_en ? p.name_en : p.name_zh} (${p.code}) · ${money(p.list_price, language)}`,
                }))}
                onChange={(code: string | null) => code && add(code)}
              />
              <Button type="primary" loading={busy} onClick={() => void save()}>
                {t("lineItems.save")}
              </Button>
              <Button onClick={() => setEditing(false)}>{t("register.cancel")}</Button>
            </>
          ) : (
            <Button onClick={() => setEditing(true)}>{t("lineItems.edit")}</Button>
          )}
        </Space>
      )}
    </div>
  );
}
