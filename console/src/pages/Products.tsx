/** The product catalogue: everyone signed in reads it; an admin adds, edits and retires
 * products. Retired products stay listed as retired — never deleted (deals keep them). */
import { Alert, App, Button, Card, Drawer, Form, Input, Result, Select, Space, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import MoneyField from "../MoneyField";
import { api, reason, type Schemas } from "../api/client";
import { money } from "../format";
import { decimalText } from "../lineitems";
import { canManageProducts, type Session } from "../session";

type Product = Schemas["Product"];
// solid and dark enough for white text to pass WCAG AA (axe checks it): the preset green does not
const ON_SALE = "#237804";
type Activity = "all" | "active" | "retired";

interface Values {
  code: string;
  name_zh: string;
  name_en?: string;
  product_line: string;
  unit: string;
  amount: number;
  currency: string;
}

type FieldName = keyof Values;
const FIELD_OF: Record<string, FieldName> = {
  code: "code",
  name_zh: "name_zh",
  name_en: "name_en",
  product_line: "product_line",
  unit: "unit",
  list_price: "amount",
  amount: "amount",
  currency: "currency",
};

/** The 422's problems as the form's field errors; the ones naming no field are returned. */
export function fieldProblems(error: unknown): { fields: { name: FieldName; errors: string[] }[]; rest: string[] } {
  const detail = (error as { detail?: unknown } | undefined)?.detail;
  const fields: { name: FieldName; errors: string[] }[] = [];
  const rest: string[] = [];
  if (!Array.isArray(detail)) return { fields, rest: [reason(error)] };
  for (const problem of detail as { loc?: (string | number)[]; msg?: string }[]) {
    const named = (problem.loc ?? []).map(String).reverse().find((part) => FIELD_OF[part]);
    if (named) fields.push({ name: FIELD_OF[named], errors: [`${named}: ${problem.msg ?? ""}`] });
    else rest.push(problem.msg ?? JSON.stringify(problem));
  }
  return { fields, rest };
}

export default function ProductsPage({ session }: { session: Session }) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const admin = canManageProducts(session);
  const [activity, setActivity] = useState<Activity>("all");
  const [productLine, setProductLine] = useState("");
  const [items, setItems] = useState<Product[] | null>(null);
  const [failure, setFailure] = useState<{ status: number; text: string } | null>(null);
  const [editing, setEditing] = useState<Product | "new" | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<Values>();

  const load = useCallback(async () => {
    const query: { active?: boolean; product_line?: string } = {};
    if (activity !== "all") query.active = activity === "active";
    if (productLine.trim()) query.product_line = productLine.trim();
    const { data, error, response } = await api.GET("/pipeline/products", { params: { query } });
    if (data) {
      setItems(data.items);
      setFailure(null);
    } else setFailure({ status: response.status, text: reason(error) });
  }, [activity, productLine]);

  useEffect(() => {
    void load();
  }, [load]);

  const open = (product: Product | "new") => {
    setProblem(null);
    setEditing(product);
    form.resetFields();
    if (product !== "new") {
      form.setFieldsValue({
        code: product.code,
        name_zh: product.name_zh,
        name_en: product.name_en ?? "",
        product_line: product.product_line,
        unit: product.unit,
        amount: Number(product.list_price.amount),
        currency: product.list_price.currency,
      });
    }
  };

  /** The answer is the product as it now stands; the list is a read model that follows within
   * moments, so the row changes from the answer (as long as it still fits the filter). */
  const settle = (product: Product) =>
    setItems((now) => {
      const rest = (now ?? []).filter((p) => p.code !== product.code);
      const fits = activity === "all" || (activity === "active") === product.active;
      return fits ? [...rest, product].sort((a, b) => a.code.localeCompare(b.code)) : rest;
    });

  const save = async (values: Values) => {
    if (!editing) return;
    setProblem(null);
    setBusy(true);
    const price = { amount: decimalText(values.amount, 2), currency: values.currency };
    const answer =
      editing === "new"
        ? await api.POST("/pipeline/products", {
            body: {
              code: values.code.trim(),
              name_zh: values.name_zh.trim(),
              name_en: values.name_en?.trim() || null,
              product_line: values.product_line.trim(),
              unit: values.unit.trim(),
              list_price: price,
            },
          })
        : await api.PATCH("/pipeline/products/{code}", {
            params: { path: { code: editing.code } },
            body: {
              name_zh: values.name_zh.trim(),
              name_en: values.name_en?.trim() || null,
              product_line: values.product_line.trim(),
              unit: values.unit.trim(),
              list_price: price,
            },
          });
    setBusy(false);
    if (answer.data) {
      message.success(t("products.saved", { code: answer.data.code }));
      setEditing(null);
      settle(answer.data);
      return;
    }
    const { fields, rest } = fieldProblems(answer.error);
    form.setFields(fields);
    setProblem(t("products.refused", { reason: [...fields.flatMap((f) => f.errors), ...rest].join("; ") }));
  };

  const retire = async (product: Product) => {
    const { data, error } = await api.POST("/pipeline/products/{code}/retire", { params: { path: { code: product.code } } });
    if (data) {
      message.success(t("products.retiredDone", { code: product.code }));
      settle(data);
    } else message.error(t("products.refused", { reason: reason(error) }));
  };

  if (failure) return <Result status={failure.status === 403 ? "403" : "error"} title={t("board.failed", { reason: failure.text })} />;

  const required = [{ required: true, whitespace: true, message: t("register.required") }];
  return (
    <main>
      <Typography.Title level={3}>{t("products.title")}</Typography.Title>
      <Card size="small">
        <Space wrap style={{ marginBottom: 12 }}>
          <Select<Activity>
            aria-label={t("products.activity")}
            value={activity}
            onChange={setActivity}
            style={{ width: 140 }}
            options={(["all", "active", "retired"] as const).map((value) => ({ value, label: t(`products.${value}`) }))}
          />
          <Input.Search
            aria-label={t("products.productLine")}
            placeholder={t("products.productLine")}
            allowClear
            onSearch={(value) => setProductLine(value)}
            style={{ width: 220 }}
          />
          {admin && (
            <Button type="primary" onClick={() => open("new")}>
              {t("products.add")}
            </Button>
          )}
        </Space>
        <Table<Product>
          size="small"
          rowKey="code"
          loading={items === null}
          dataSource={items ?? []}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          columns={[
            { title: t("products.code"), dataIndex: "code" },
            {
              title: t("products.name"),
              key: "name",
              render: (_, p) => (language === "en" && p.name_en ? p.name_en : p.name_zh),
            },
            { title: t("products.productLine"), dataIndex: "product_line" },
            { title: t("products.unit"), dataIndex: "unit" },
            { title: t("products.listPrice"), key: "price", align: "right", render: (_, p) => money(p.list_price, language) },
            {
              title: t("products.status"),
              key: "status",
              render: (_, p) => (p.active ? <Tag color={ON_SALE}>{t("products.onSale")}</Tag> : <Tag>{t("products.retiredTag")}</Tag>),
            },
            ...(admin
              ? [
                  {
                    title: t("products.actions"),
                    key: "actions",
                    render: (_: unknown, p: Product) =>
                      p.active ? (
                        <Space>
                          <Button size="small" autoInsertSpace={false} onClick={() => open(p)} aria-label={t("products.editOne", { code: p.code })}>
                            {t("products.edit")}
                          </Button>
                          <Button size="small" autoInsertSpace={false} onClick={() => void retire(p)} aria-label={t("products.retireOne", { code: p.code })}>
                            {t("products.retire")}
                          </Button>
                        </Space>
                      ) : null,
                  },
                ]
              : []),
          ]}
        />
      </Card>
      <Drawer
        open={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === "new" ? t("products.add") : t("products.editOne", { code: editing?.code ?? "" })}
        size={420}
      >
        {problem && <Alert type="error" showIcon role="alert" title={problem} style={{ marginBottom: 16 }} />}
        <Form<Values> form={form} layout="vertical" initialValues={{ currency: "CNY" }} onFinish={(v) => void save(v)}>
          <Form.Item label={t("products.code")} name="code" rules={required} extra={t("products.codeHint")}>
            <Input maxLength={40} disabled={editing !== "new"} />
          </Form.Item>
          <Form.Item label={t("products.nameZh")} name="name_zh" rules={required}>
            <Input maxLength={200} />
          </Form.Item>
          <Form.Item label={t("products.nameEn")} name="name_en">
            <Input maxLength={200} />
          </Form.Item>
          <Form.Item label={t("products.productLine")} name="product_line" rules={required}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item label={t("products.unit")} name="unit" rules={required}>
            <Input maxLength={20} />
          </Form.Item>
          <MoneyField label={t("products.listPrice")} />
          <Space>
            <Button type="primary" htmlType="submit" loading={busy}>
              {t("products.save")}
            </Button>
            <Button onClick={() => setEditing(null)}>{t("register.cancel")}</Button>
          </Space>
        </Form>
      </Drawer>
    </main>
  );
}
