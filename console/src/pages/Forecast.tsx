/** The forecast for managers (and a rep's own): a period, a grouping and an instant to read it
 * at; weighted value by forecast category per group as stacked bars, attainment against the
 * targets, the figures in a table beside them; what moved the forecast (the changes'
 * waterfall) and, for managers and admins, the targets form. ECharts loads with this page. */
import { Alert, Button, Card, Col, Input, Result, Row, Select, Space, Statistic, Table, Typography } from "antd";
import { useCallback, useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../api/client";
import EChart from "../charts/EChart";
import { attainmentOption, attainments, chartCurrency, compactNumber, stackByCategory, stackedOption } from "../charts/options";
import { dateTime, intlLocale, sums } from "../format";
import { instantOf, quarterOf } from "../periods";
import { canSeeReports, canSetTargets, type Session } from "../session";
import Changes from "./forecast/Changes";
import { useGroupName } from "./forecast/labels";
import PeriodSelect from "./forecast/PeriodSelect";
import ExportButtons from "./ExportButtons";
import TargetForm from "./forecast/TargetForm";

type Forecast = Schemas["Forecast"];
type Group = Schemas["GroupFigures"];
type GroupBy = NonNullable<Forecast["group_by"]>;
const GROUPINGS: GroupBy[] = ["owner", "team", "stage", "source", "forecast_category"];

export default function ForecastPage({ session }: { session: Session }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [period, setPeriod] = useState(() => quarterOf(new Date()));
  const [groupBy, setGroupBy] = useState<GroupBy>("owner");
  const [asOf, setAsOf] = useState(""); // "" is now
  const [forecast, setForecast] = useState<Forecast | null>(null);
  const [failure, setFailure] = useState<{ status: number; text: string } | null>(null);
  const groupName = useGroupName(groupBy);

  const load = useCallback(async () => {
    const { data, error, response } = await api.GET("/forecast/pipeline", {
      params: { query: { period, group_by: groupBy, as_of: instantOf(asOf), by_category: true } },
    });
    if (data) {
      setForecast(data);
      setFailure(null);
    } else setFailure({ status: response.status, text: reason(error) });
    return data ?? null;
  }, [period, groupBy, asOf]);

  /** A target is recorded at once but reaches the forecast's read model a moment later: ask
   * again (a few times, briefly) until the forecast shows the target just set. */
  const showTarget = useCallback(
    async (subject: string, amount: string) => {
      for (let attempt = 0; attempt < 10; attempt++) {
        const shown = await load();
        if (!shown || shown.groups?.some((g) => g.key === subject && g.target?.amount === amount)) return;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    },
    [load],
  );

  useEffect(() => {
    void load();
  }, [load]);

  const currency = forecast ? chartCurrency(forecast) : "CNY";
  const format = useMemo(() => compactNumber(intlLocale(language)), [language]);
  const groups = forecast?.groups ?? [];
  const stacked = useMemo(
    () => stackedOption(stackByCategory(groups, currency, groupName), (name) => t(`forecast.categories.${name}`, { defaultValue: name }), format),
    // groupName is new each render; the answer and the language are what change the labels
    [forecast, currency, format, t],
  );
  const quotas = attainments(groups, groupName);
  const quotaOption = useMemo(
    () => attainmentOption(quotas, { attainment: t("forecast.attainment"), target: t("forecast.target") }),
    [forecast, t],
  );

  if (failure?.status === 403) return <Result status="403" title={t("forecast.forbidden")} subTitle={failure.text} />;
  const percent = (value: number | null | undefined) => (value == null ? "—" : new Intl.NumberFormat(intlLocale(language), { style: "percent", maximumFractionDigits: 1 }).format(value));

  return (
    <Space direction="vertical" style={{ width: "100%" }} size="middle">
      <Typography.Title level={3}>{t("forecast.title")}</Typography.Title>
      <Space wrap>
        <PeriodSelect value={period} onChange={setPeriod} />
        <Select<GroupBy>
          aria-label={t("forecast.groupBy")}
          value={groupBy}
          onChange={setGroupBy}
          style={{ width: 180 }}
          options={GROUPINGS.map((value) => ({ value, label: t(`forecast.groupings.${value}`) }))}
        />
        <Input
          type="datetime-local"
          aria-label={t("forecast.asOf")}
          addonBefore={t("forecast.asOf")}
          value={asOf}
          onChange={(event) => setAsOf(event.target.value)}
          style={{ width: 300 }}
        />
        {asOf && <Button onClick={() => setAsOf("")}>{t("forecast.now")}</Button>}
        <ExportButtons
          name={`forecast-${period}`}
          fetchFile={(format) => api.GET("/forecast/pipeline", { params: { query: { period, group_by: groupBy, as_of: instantOf(asOf), format } }, parseAs: "blob" })}
        />
      </Space>
      {failure && <Alert type="error" showIcon message={t("forecast.failed", { reason: `${failure.status}: ${failure.text}` })} />}
      {forecast && (
        <>
          <Typography.Text type="secondary">
            {forecast.as_of ? t("forecast.asItStood", { when: dateTime(forecast.as_of, language) }) : t("forecast.current")}
            {" · "}
            {t("forecast.chartCurrency", { currency })}
          </Typography.Text>
          <Space size="large" wrap>
            <Statistic title={t("forecast.count")} value={forecast.count} />
            <Statistic title={t("forecast.weighted")} value={sums(forecast.weighted, language)} />
            <Statistic title={t("forecast.total")} value={sums(forecast.total, language)} />
          </Space>
          <Row gutter={16}>
            <Col xs={24} xl={12}>
              <Card title={t("forecast.byCategory")} size="small">
                {groups.length ? <EChart option={stacked} label={t("forecast.byCategory")} /> : <Typography.Text>{t("forecast.empty")}</Typography.Text>}
              </Card>
            </Col>
            <Col xs={24} xl={12}>
              <Table<Group>
                aria-label={t("forecast.table")}
                size="small"
                rowKey={(group) => String(group.key)}
                dataSource={groups}
                pagination={false}
                locale={{ emptyText: <Typography.Text>{t("forecast.empty")}</Typography.Text> }}
                columns={[
                  { title: t(`forecast.groupings.${groupBy}`), key: "key", render: (_, group) => groupName(group.key) },
                  { title: t("forecast.count"), key: "count", align: "right", render: (_, group) => group.count },
                  { title: t("forecast.weighted"), key: "weighted", align: "right", render: (_, group) => sums(group.weighted, language) },
                  { title: t("forecast.total"), key: "total", align: "right", render: (_, group) => sums(group.total, language) },
                  { title: t("forecast.target"), key: "target", align: "right", render: (_, group) => (group.target ? sums([group.target], language) : "—") },
                  { title: t("forecast.attainment"), key: "attainment", align: "right", render: (_, group) => (group.target ? percent(group.attainment) : "—") },
                ]}
              />
            </Col>
          </Row>
          {(groupBy === "owner" || groupBy === "team") && (
            <Card title={t("forecast.attainmentTitle")} size="small">
              {quotas.length ? <EChart option={quotaOption} label={t("forecast.attainmentTitle")} height={260} /> : <Typography.Text>{t("forecast.noTargets")}</Typography.Text>}
            </Card>
          )}
        </>
      )}
      {canSetTargets(session) && <TargetForm session={session} period={period} onSaved={(subject, amount) => void showTarget(subject, amount)} />}
      {canSeeReports(session) && <Changes period={period} />}
    </Space>
  );
}
