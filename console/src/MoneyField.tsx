/** A money input inside an Ant Design form: the amount (two decimals, not negative) and its
 * currency side by side, as the form's `amount` and `currency` fields. */
import { Form, InputNumber, Select, Space } from "antd";
import { useTranslation } from "react-i18next";

const CURRENCIES = ["CNY", "USD", "EUR", "HKD"].map((code) => ({ value: code, label: code }));

export default function MoneyField({ label }: { label: string }) {
  const { t } = useTranslation();
  return (
    <Space.Compact block>
      <Form.Item label={label} name="amount" rules={[{ required: true, message: t("register.required") }]} style={{ flex: 1 }}>
        <InputNumber min={0} precision={2} style={{ width: "100%" }} />
      </Form.Item>
      <Form.Item label={t("register.currency")} name="currency" style={{ width: 110 }}>
        <Select options={CURRENCIES} />
      </Form.Item>
    </Space.Compact>
  );
}
