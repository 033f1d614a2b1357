/** Other recycling rules (自动回收): the form (prefilled with the rules in force), and the
 * deals they would have recycled, when, why, and whether each was won later. */
import { Alert, Button, Card, Col, Descriptions, Form, Input, InputNumber, Row, Space, Spin, Switch, Table, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../../api/client";
import { dateTime, sums } from "../../format";

type Answer = Schemas["RecyclingWhatIfAnswer"];
type Scenario = Schemas["RecyclingScenario"];

interface Rules {
  from: string;
  to: string;
  staleDays: number | null;
  graceDays: number | null;
  protection: boolean;
}

function isoDay(moment: Date): string {
  return moment.toISOString().slice(0, 10);
}

export default function RecyclingWhatIf({ onForbidden }: { onForbidden: (why: string) => void }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const today = new Date();
  const [rules, setRules] = useState<Rules>({ from: isoDay(new Date(today.getTime() - 365 * 86_400_000)), to: isoDay(today), staleDays: 30, graceDays: 30, protection: true });
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [running, setRunning] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  // The form starts from the rules in force: it is shown once they are read, so a slow answer
  // never overwrites what the user has typed meanwhile.
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    void api
      .GET("/registration/rules")
      .then(({ data }) => {
        const policy = data?.recycling?.default;
        if (policy) setRules((now) => ({ ...now, staleDays: policy.stale_days ?? null, graceDays: policy.close_date_grace_days ?? null, protection: policy.recycle_when_protection_expires ?? true }));
      })
      .finally(() => setLoaded(true));
  }, []);

  const run = async () => {
    setRunning(true);
    const body = { from: rules.from, to: rules.to, default: { stale_days: rules.staleDays, close_date_grace_days: rules.graceDays, recycle_when_protection_expires: rules.protection } };
    const { data, error, response } = await api.POST("/registration/what-if/recycling", { body });
    setRunning(false);
    if (response.status === 403) return onForbidden(reason(error));
    setAnswer(data ?? null);
    setFailure(data ? null : `${response.status}: ${reason(error)}`);
  };

  if (!loaded) return <Spin />;
  return (
    <Space direction="vertical" style={{ width: "100%" }} size="middle">
      <Form layout="inline" onFinish={() => void run()}>
        <Form.Item label={t("whatif.from")}>
          <Input type="date" aria-label={t("whatif.from")} value={rules.from} onChange={(event) => setRules({ ...rules, from: event.target.value })} />
        </Form.Item>
        <Form.Item label={t("whatif.to")}>
          <Input type="date" aria-label={t("whatif.to")} value={rules.to} onChange={(event) => setRules({ ...rules, to: event.target.value })} />
        </Form.Item>
        <Form.Item label={t("whatif.recycling.staleDays")} tooltip={t("whatif.recycling.offWhenEmpty")}>
          <InputNumber aria-label={t("whatif.recycling.staleDays")} min={1} value={rules.staleDays} onChange={(value) => setRules({ ...rules, staleDays: value })} />
        </Form.Item>
        <Form.Item label={t("whatif.recycling.graceDays")} tooltip={t("whatif.recycling.offWhenEmpty")}>
          <InputNumber aria-label={t("whatif.recycling.graceDays")} min={0} value={rules.graceDays} onChange={(value) => setRules({ ...rules, graceDays: value })} />
        </Form.Item>
        <Form.Item label={t("whatif.recycling.protection")}>
          <Switch aria-label={t("whatif.recycling.protection")} checked={rules.protection} onChange={(checked) => setRules({ ...rules, protection: checked })} />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" loading={running}>
            {t("whatif.run")}
          </Button>
        </Form.Item>
      </Form>
      {failure && <Alert type="error" showIcon message={t("whatif.failed", { reason: failure })} />}
      {answer && (
        <>
          <Typography.Text type="secondary">{t("whatif.replayed", { count: answer.replayed_events })}</Typography.Text>
          <Row gutter={16}>
            {(["in_force", "alternative"] as const).map((name) => (
              <Col xs={24} md={12} key={name}>
                <Card size="small" title={t(`whatif.${name}`)}>
                  <Summary scenario={answer[name]} language={language} />
                </Card>
              </Col>
            ))}
          </Row>
          <Table
            aria-label={t("whatif.recycling.deals")}
            size="small"
            rowKey="deal_id"
            dataSource={answer.alternative.deals}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            locale={{ emptyText: <Typography.Text>{t("whatif.recycling.none")}</Typography.Text> }}
            columns={[
              { title: t("whatif.recycling.deal"), dataIndex: "name" },
              { title: t("whatif.recycling.when"), key: "at", render: (_, deal) => dateTime(deal.at, language) },
              { title: t("whatif.recycling.reason"), key: "reason", render: (_, deal) => t(`whatif.recycling.reasons.${deal.reason}`, { defaultValue: deal.reason }) },
              { title: t("whatif.recycling.owner"), dataIndex: "owner_id" },
              { title: t("whatif.recycling.value"), key: "value", align: "right", render: (_, deal) => sums([deal.value], language) },
              {
                title: t("whatif.recycling.outcome"),
                key: "outcome",
                render: (_, deal) => (deal.later_won ? <Tag color="red">{t("whatif.recycling.laterWon", { owner: deal.won_by ?? "—" })}</Tag> : <Tag>{t(`whatif.recycling.outcomes.${deal.outcome ?? "open"}`)}</Tag>),
              },
            ]}
          />
        </>
      )}
    </Space>
  );
}

function Summary({ scenario, language }: { scenario: Scenario; language: string }) {
  const { t } = useTranslation();
  const policy = scenario.rules.default;
  const off = t("whatif.recycling.off");
  return (
    <Descriptions size="small" column={1}>
      <Descriptions.Item label={t("whatif.recycling.staleDays")}>{policy?.stale_days ?? off}</Descriptions.Item>
      <Descriptions.Item label={t("whatif.recycling.graceDays")}>{policy?.close_date_grace_days ?? off}</Descriptions.Item>
      <Descriptions.Item label={t("whatif.recycling.recycled")}>{scenario.recycled}</Descriptions.Item>
      <Descriptions.Item label={t("whatif.recycling.laterWonCount")}>
        {scenario.later_won} ({sums(scenario.later_won_value, language)})
      </Descriptions.Item>
      <Descriptions.Item label={t("whatif.recycling.spared")}>{scenario.spared.length}</Descriptions.Item>
    </Descriptions>
  );
}
