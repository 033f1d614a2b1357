/** 报备: register a deal. A duplicate (409) names the deal that holds the customer. */
import { Alert, App, Button, Drawer, Form, Input, Space } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import MoneyField from "../MoneyField";
import { api, conflictingDeal, reason, type Schemas } from "../api/client";

interface Values {
  name: string;
  account: string;
  amount: number;
  currency: string;
  closeDate: string;
  contactName?: string;
  contactPhone?: string;
  source?: string;
}

type FieldName = keyof Values;
const FIELD_OF: Record<string, FieldName> = {
  name: "name",
  account: "account",
  value: "amount",
  amount: "amount",
  currency: "currency",
  expected_close_date: "closeDate",
  contacts: "contactName",
  source: "source",
};

function body(values: Values): Schemas["RegisterDeal"] {
  return {
    name: values.name.trim(),
    account: { name: values.account.trim() },
    value: { amount: values.amount.toFixed(2), currency: values.currency },
    expected_close_date: values.closeDate,
    source: values.source?.trim() || null,
    contacts: values.contactName?.trim()
      ? [{ name: values.contactName.trim(), phone: values.contactPhone?.trim() || null }]
      : [],
  };
}

export default function RegisterDeal({
  open,
  onClose,
  onRegistered,
}: {
  open: boolean;
  onClose: () => void;
  onRegistered: (dealId: string) => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (values: Values) => {
    setProblem(null);
    setBusy(true);
    const { data, error, response } = await api.POST("/registration/deals", { body: body(values) });
    setBusy(false);
    if (data) {
      if (data.registration_status === "pending") {
        message.info(t("register.pending", { reasons: data.review_reasons.join(", ") }));
      } else {
        message.success(t("register.registered", { name: values.name }));
      }
      form.resetFields();
      onRegistered(data.deal_id);
      onClose();
      return;
    }
    const conflict = response.status === 409 ? conflictingDeal(error) : null;
    if (conflict) {
      setProblem(t("register.duplicate", { deal: conflict.dealId, matchedOn: conflict.matchedOn ?? "?" }));
      return;
    }
    if (response.status === 422 && Array.isArray((error as { detail?: unknown }).detail)) {
      const fields = ((error as { detail: { loc: (string | number)[]; msg: string }[] }).detail ?? [])
        .map((p) => ({ name: FIELD_OF[String(p.loc[1])], errors: [p.msg] }))
        .filter((f): f is { name: FieldName; errors: string[] } => Boolean(f.name));
      form.setFields(fields);
    }
    setProblem(t("register.refused", { reason: reason(error) }));
  };

  const required = [{ required: true, whitespace: true, message: t("register.required") }];
  return (
    <Drawer open={open} onClose={onClose} title={t("register.title")} size={420} destroyOnHidden>
      {problem && <Alert type="error" showIcon role="alert" title={problem} style={{ marginBottom: 16 }} />}
      <Form<Values> form={form} layout="vertical" initialValues={{ currency: "CNY" }} onFinish={(v) => void submit(v)}>
        <Form.Item label={t("register.name")} name="name" rules={required}>
          <Input maxLength={300} />
        </Form.Item>
        <Form.Item label={t("register.account")} name="account" rules={required}>
          <Input maxLength={300} />
        </Form.Item>
        <MoneyField label={t("register.amount")} />
        <Form.Item label={t("register.closeDate")} name="closeDate" rules={required}>
          <Input type="date" />
        </Form.Item>
        <Form.Item label={t("register.contactName")} name="contactName">
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item label={t("register.contactPhone")} name="contactPhone">
          <Input maxLength={50} />
        </Form.Item>
        <Form.Item label={t("register.source")} name="source">
          <Input maxLength={100} />
        </Form.Item>
        <Space>
          <Button type="primary" htmlType="submit" loading={busy}>
            {t("register.submit")}
          </Button>
          <Button onClick={onClose}>{t("register.cancel")}</Button>
        </Space>
      </Form>
    </Drawer>
  );
}
