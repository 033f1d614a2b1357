/** Dropping a card on a lost column asks why (the configured lost reasons) and, for a loss
 * to a competitor, which one; cancelling puts the card back. */
import { Form, Input, Modal, Select } from "antd";
import { useTranslation } from "react-i18next";
import type { Schemas } from "../api/client";

export interface LostAnswer {
  reason: string;
  competitor?: string;
}

export default function CloseLost({
  dealName,
  rules,
  onClose,
  onCancel,
}: {
  dealName: string;
  rules: Schemas["PipelineRules"];
  onClose: (answer: LostAnswer) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [form] = Form.useForm<LostAnswer>();
  const reason = Form.useWatch("reason", form);
  return (
    <Modal
      open
      title={t("close.title", { deal: dealName })}
      okText={t("close.ok")}
      cancelText={t("register.cancel")}
      onOk={() => form.submit()}
      onCancel={onCancel}
    >
      <Form<LostAnswer> form={form} layout="vertical" onFinish={(answer) => onClose(answer)}>
        <Form.Item label={t("close.reason")} name="reason" rules={[{ required: true, message: t("register.required") }]}>
          <Select
            options={(rules.lost_reasons ?? []).map((key) => ({ value: key, label: t(`close.reasons.${key}`, { defaultValue: key }) }))}
          />
        </Form.Item>
        {reason === rules.competitor_reason && (
          <Form.Item label={t("close.competitor")} name="competitor" rules={[{ required: true, whitespace: true, message: t("register.required") }]}>
            <Input maxLength={300} />
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}
