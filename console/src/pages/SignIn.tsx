/** The header-mode sign-in: the user id, role and teams every API call will carry. */
import { Alert, Button, Card, Form, Input, Select } from "antd";
import { useTranslation } from "react-i18next";
import { parseTeams, ROLES, type Role, type Session } from "../session";

interface Values {
  userId: string;
  role: Role;
  teams: string;
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
        }}
        onFinish={(values) =>
          onSignIn({ userId: values.userId.trim(), role: values.role, teams: parseTeams(values.teams ?? "") })
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
        <Button type="primary" htmlType="submit">
          {t("signIn.submit")}
        </Button>
      </Form>
    </Card>
  );
}
