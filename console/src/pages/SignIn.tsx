/** The header-mode sign-in: the user id, role and teams every API call will carry. */
import { Alert, Button, Card, Form, Input, Select } from "antd";
import { useTranslation } from "react-i18next";
import { parseTeams, ROLES, type Role, type Session } from "../session";

interface Values {
  userId: string;
  role: Role;
  teams: string;
  partner?: string;
}

export default function SignIn({ initial, onSignIn }: { initial: Session | null; onSignIn: (s: Session) => void }) {
  const { t } = useTranslation();
  return (
    <Card title={t("signIn.title")} style={{ maxWidth: 480, margin: "48px auto" }}>
      <Alert type="info" showIcon title={t("signIn.hint")} style={{ marginBottom: 16 }} />
      <Form<Values>
        layout="vertical"
        initialValues={{
          userId: initial?.userId ?? "rep-1",
          role: initial?.role ?? "rep",
          teams: initial?.teams.join(",") ?? "",
          partner: initial?.partner ?? "",
        }}
        onFinish={(values) =>
          onSignIn({
            userId: values.userId.trim(),
            role: values.role,
            teams: parseTeams(values.teams ?? ""),
            // the organisation is a partner's alone: the API refuses it on anyone else
            ...(values.role === "partner" && values.partner?.trim() ? { partner: values.partner.trim() } : {}),
          })
        }
      >
        <Form.Item label={t("signIn.userId")} name="userId" rules={[{ required: true, whitespace: true }]}>
          <Input autoFocus />
        </Form.Item>
        <Form.Item label={t("signIn.role")} name="role">
          <Select options={ROLES.map((role) => ({ value: role, label: t(`roles.${role}`) }))} />
        </Form.Item>
        <Form.Item label={t("signIn.teams")} name="teams">
          <Input placeholder="east,west" />
        </Form.Item>
        <Form.Item noStyle shouldUpdate={(before, after) => before.role !== after.role}>
          {({ getFieldValue }) =>
            getFieldValue("role") === "partner" && (
              <Form.Item
                label={t("signIn.partner")}
                name="partner"
                rules={[{ required: true, whitespace: true, message: t("signIn.partnerRequired") }]}
              >
                <Input maxLength={100} />
              </Form.Item>
            )
          }
        </Form.Item>
        <Button type="primary" htmlType="submit">
          {t("signIn.submit")}
        </Button>
      </Form>
    </Card>
  );
}
