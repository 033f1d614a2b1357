/** Other stage probabilities: a percentage per open stage (prefilled with the stage set's),
 * and each week's forecast under both beside what was won, as a line chart and a table. */
import { Alert, Button, Card, Descriptions, InputNumber, Space, Table, Typography } from "antd";
import { useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../../api/client";
import EChart from "../../charts/EChart";
import { compactNumber, whatIfOption } from "../../charts/options";
import { dateTime, intlLocale, stageLabel, sums } from "../../format";
import { quarterOf } from "../../periods";
import PeriodSelect from "../forecast/PeriodSelect";

type Answer = Schemas["ProbabilitiesWhatIfAnswer"];
type Stage = Schemas["Stage"];

export default function ProbabilitiesWhatIf({ onForbidden }: { onForbidden: (why: string) => void }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const compact = useMemo(() => compactNumber(intlLocale(language)), [language]);
  const [period, setPeriod] = useState(() => quarterOf(new Date()));
  const [stages, setStages] = useState<Stage[]>([]);
  const [given, setGiven] = useState<Record<string, number>>({});
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [running, setRunning] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    void api.GET("/pipeline/stages").then(({ data }) => {
      const open = (data?.stages ?? []).filter((stage) => stage.state === "open" && !stage.retired);
      setStages(open);
      setGiven(Object.fromEntries(open.map((stage) => [stage.key, stage.probability])));
    });
  }, []);

  const run = async () => {
    setRunning(true);
    const { data, error, response } = await api.POST("/forecast/what-if/probabilities", { body: { period, probabilities: given } });
    setRunning(false);
    if (response.status === 403) return onForbidden(reason(error));
    setAnswer(data ?? null);
    setFailure(data ? null : `${response.status}: ${reason(error)}`);
  };

  const currency = answer ? ([...answer.actual_won, ...answer.points.flatMap((point) => point.in_force.forecast)][0]?.currency ?? "CNY") : "CNY";
  const labels = { shown: t("whatif.probabilities.shown"), alternative: t("whatif.probabilities.alternative"), won: t("whatif.probabilities.won") };

  return (
    <Space direction="vertical" style={{ width: "100%" }} size="middle">
      <Space wrap align="end">
        <PeriodSelect value={period} onChange={setPeriod} />
        {stages.map((stage) => (
          <Space direction="vertical" size={0} key={stage.key}>
            <Typography.Text>{stageLabel(stage.labels, stage.key, language)}</Typography.Text>
            <InputNumber
              aria-label={t("whatif.probabilities.of", { stage: stageLabel(stage.labels, stage.key, language) })}
              min={0}
              max={100}
              suffix="%"
              value={given[stage.key]}
              onChange={(value) => setGiven({ ...given, [stage.key]: value ?? 0 })}
            />
          </Space>
        ))}
        <Button type="primary" loading={running} onClick={() => void run()}>
          {t("whatif.run")}
        </Button>
      </Space>
      {failure && <Alert type="error" showIcon message={t("whatif.failed", { reason: failure })} />}
      {answer && (
        <>
          <Card size="small">
            <EChart option={whatIfOption(answer, currency, labels, (iso) => dateTime(iso, language), compact)} label={t("whatif.probabilities.chart")} />
          </Card>
          <Descriptions size="small" bordered column={{ xs: 1, md: 3 }}>
            <Descriptions.Item label={t("whatif.probabilities.won")}>{sums(answer.actual_won, language)}</Descriptions.Item>
            <Descriptions.Item label={t("whatif.probabilities.errorShown")}>{sums(answer.mean_absolute_error.in_force, language)}</Descriptions.Item>
            <Descriptions.Item label={t("whatif.probabilities.errorAlternative")}>{sums(answer.mean_absolute_error.alternative, language)}</Descriptions.Item>
          </Descriptions>
          <Table
            aria-label={t("whatif.probabilities.chart")}
            size="small"
            rowKey="as_of"
            dataSource={answer.points}
            pagination={false}
            columns={[
              { title: t("whatif.probabilities.asOf"), key: "as_of", render: (_, point) => dateTime(point.as_of, language) },
              { title: labels.shown, key: "shown", align: "right", render: (_, point) => sums(point.in_force.forecast, language) },
              { title: labels.alternative, key: "alternative", align: "right", render: (_, point) => sums(point.alternative.forecast, language) },
              { title: labels.won, key: "won", align: "right", render: (_, point) => sums(point.won, language) },
            ]}
          />
        </>
      )}
    </Space>
  );
}
