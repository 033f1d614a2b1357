/** The management reports (GET /forecast/reports/{name}), a tab each: win rate, stage
 * conversion as a funnel, time in stage, sales cycle, lead-source performance and the
 * forecast's accuracy backtest over the weeks of a period. Figures are over the deals in the
 * caller's reach; ECharts loads with this page. */
import { Alert, Card, Col, Descriptions, Result, Row, Select, Space, Table, Tabs, Typography } from "antd";
import { useEffect, useMemo, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../api/client";
import EChart from "../charts/EChart";
import { accuracyOption, amountIn, barsOption, compactNumber, funnelOption } from "../charts/options";
import { dateTime, intlLocale, sums } from "../format";
import { quarterOf } from "../periods";
import { useStageName } from "./forecast/labels";
import PeriodSelect from "./forecast/PeriodSelect";
import ExportButtons from "./ExportButtons";

type Name = "win-rate" | "stage-conversion" | "time-in-stage" | "sales-cycle" | "source-performance" | "accuracy";
const NAMES: Name[] = ["win-rate", "stage-conversion", "time-in-stage", "sales-cycle", "source-performance", "accuracy"];
const NEEDS_PERIOD: Name[] = ["win-rate", "sales-cycle", "accuracy", "source-performance"];
type WinRateBy = Schemas["WinRate"]["group_by"];
type AnyReport = Schemas["WinRate"] | Schemas["StageConversion"] | Schemas["TimeInStage"] | Schemas["SalesCycle"] | Schemas["SourcePerformance"] | Schemas["Accuracy"];

export default function ReportsPage() {
  const { t } = useTranslation();
  const [name, setName] = useState<Name>(() => (NAMES as string[]).includes(window.location.hash.slice(1)) ? (window.location.hash.slice(1) as Name) : "win-rate");
  const [period, setPeriod] = useState(() => quarterOf(new Date()));
  const [groupBy, setGroupBy] = useState<WinRateBy>("owner");
  const [report, setReport] = useState<{ name: Name; body: AnyReport } | null>(null);
  const [failure, setFailure] = useState<{ status: number; text: string } | null>(null);

  useEffect(() => {
    const query = { period: NEEDS_PERIOD.includes(name) ? period : undefined, group_by: name === "win-rate" ? groupBy : undefined };
    void api.GET("/forecast/reports/{name}", { params: { path: { name }, query } }).then(({ data, error, response }) => {
      setReport(data ? { name, body: data } : null);
      setFailure(data ? null : { status: response.status, text: reason(error) });
    });
  }, [name, period, groupBy]);

  if (failure?.status === 403) return <Result status="403" title={t("reports.forbidden")} subTitle={failure.text} />;

  return (
    <Space direction="vertical" style={{ width: "100%" }} size="middle">
      <Typography.Title level={3}>{t("reports.title")}</Typography.Title>
      <Tabs
        activeKey={name}
        onChange={(key) => {
          setName(key as Name);
          window.history.replaceState(null, "", `#${key}`);
        }}
        items={NAMES.map((key) => ({ key, label: t(`reports.names.${key}`) }))}
      />
      <Space wrap>
        {NEEDS_PERIOD.includes(name) && <PeriodSelect value={period} onChange={setPeriod} />}
        {name === "win-rate" && (
          <Select<WinRateBy>
            aria-label={t("forecast.groupBy")}
            value={groupBy}
            onChange={setGroupBy}
            style={{ width: 160 }}
            options={(["owner", "source", "period"] as const).map((value) => ({ value, label: t(`reports.winRateBy.${value}`) }))}
          />
        )}
      </Space>
      <ExportButtons
        name={name}
        fetchFile={(format) =>
          api.GET("/forecast/reports/{name}", {
            params: { path: { name }, query: { period: NEEDS_PERIOD.includes(name) ? period : undefined, group_by: name === "win-rate" ? groupBy : undefined, format } },
            parseAs: "blob",
          })
        }
      />
      {failure && <Alert type="error" showIcon message={t("forecast.failed", { reason: `${failure.status}: ${failure.text}` })} />}
      {report?.name === name && <Report name={name} body={report.body} />}
    </Space>
  );
}

function Report({ name, body }: { name: Name; body: AnyReport }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const locale = intlLocale(language);
  const stageName = useStageName();
  const compact = useMemo(() => compactNumber(locale), [locale]);
  const percent = (value: number | null | undefined) => (value == null ? "—" : new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(value));
  const days = (value: number) => new Intl.NumberFormat(locale, { style: "unit", unit: "day", unitDisplay: "short", maximumFractionDigits: 1 }).format(value);
  const side = (chart: ReactNode, table: ReactNode) => (
    <Row gutter={16}>
      <Col xs={24} xl={12}>
        <Card size="small">{chart}</Card>
      </Col>
      <Col xs={24} xl={12}>{table}</Col>
    </Row>
  );

  if (name === "win-rate") {
    const report = body as Schemas["WinRate"];
    const option = barsOption(report.groups.map((group) => group.key), [{ name: t("reports.winRate"), values: report.groups.map((group) => (group.win_rate == null ? null : group.win_rate * 100)) }], (value) => `${Math.round(value)}%`);
    return side(
      <EChart option={option} label={t("reports.names.win-rate")} />,
      <Table aria-label={t("reports.names.win-rate")} size="small" pagination={false} rowKey="key" dataSource={report.groups} locale={{ emptyText: <Typography.Text>{t("reports.empty")}</Typography.Text> }}
        columns={[
          { title: t(`reports.winRateBy.${report.group_by}`), dataIndex: "key" },
          { title: t("reports.won"), dataIndex: "won", align: "right" },
          { title: t("reports.lost"), dataIndex: "lost", align: "right" },
          { title: t("reports.winRate"), key: "rate", align: "right", render: (_, group) => percent(group.win_rate) },
        ]} />,
    );
  }
  if (name === "stage-conversion") {
    const report = body as Schemas["StageConversion"];
    return side(
      <EChart option={funnelOption(report.stages, stageName)} label={t("reports.names.stage-conversion")} height={360} />,
      <Table aria-label={t("reports.names.stage-conversion")} size="small" pagination={false} rowKey="stage" dataSource={report.stages} locale={{ emptyText: <Typography.Text>{t("reports.empty")}</Typography.Text> }}
        columns={[
          { title: t("reports.stage"), key: "stage", render: (_, stage) => stageName(stage.stage) },
          { title: t("reports.reached"), dataIndex: "reached", align: "right" },
          { title: t("reports.wentOn"), dataIndex: "went_on", align: "right" },
          { title: t("reports.conversion"), key: "conversion", align: "right", render: (_, stage) => percent(stage.conversion) },
        ]} />,
    );
  }
  if (name === "time-in-stage") {
    const report = body as Schemas["TimeInStage"];
    const option = barsOption(report.stages.map((stage) => stageName(stage.stage)), [
      { name: t("reports.median"), values: report.stages.map((stage) => stage.median) },
      { name: t("reports.p90"), values: report.stages.map((stage) => stage.p90) },
    ], days);
    return side(
      <EChart option={option} label={t("reports.names.time-in-stage")} />,
      <Table aria-label={t("reports.names.time-in-stage")} size="small" pagination={false} rowKey="stage" dataSource={report.stages} locale={{ emptyText: <Typography.Text>{t("reports.empty")}</Typography.Text> }}
        columns={[
          { title: t("reports.stage"), key: "stage", render: (_, stage) => stageName(stage.stage) },
          { title: t("reports.stays"), dataIndex: "count", align: "right" },
          { title: t("reports.mean"), key: "mean", align: "right", render: (_, stage) => days(stage.mean) },
          { title: t("reports.median"), key: "median", align: "right", render: (_, stage) => days(stage.median) },
          { title: t("reports.p90"), key: "p90", align: "right", render: (_, stage) => days(stage.p90) },
        ]} />,
    );
  }
  if (name === "sales-cycle") {
    const report = body as Schemas["SalesCycle"];
    const spreads = (["all", "won", "lost"] as const).flatMap((key) => (report[key] ? [{ key, ...report[key] }] : []));
    if (!spreads.length) return <Typography.Text>{t("reports.empty")}</Typography.Text>;
    return (
      <Descriptions bordered size="small" column={1}>
        {spreads.map((spread) => (
          <Descriptions.Item key={spread.key} label={t(`reports.cycle.${spread.key}`)}>
            {t("reports.cycleFigures", { count: spread.count, mean: days(spread.mean), median: days(spread.median), p90: days(spread.p90) })}
          </Descriptions.Item>
        ))}
      </Descriptions>
    );
  }
  if (name === "source-performance") {
    const report = body as Schemas["SourcePerformance"];
    const currency = report.sources.flatMap((source) => source.won_value)[0]?.currency ?? "CNY";
    const option = barsOption(report.sources.map((source) => source.source), [{ name: t("reports.wonValue"), values: report.sources.map((source) => amountIn(source.won_value, currency)) }], compact);
    return side(
      <EChart option={option} label={t("reports.names.source-performance")} />,
      <Table aria-label={t("reports.names.source-performance")} size="small" pagination={false} rowKey="source" dataSource={report.sources} locale={{ emptyText: <Typography.Text>{t("reports.empty")}</Typography.Text> }}
        columns={[
          { title: t("reports.source"), dataIndex: "source" },
          { title: t("reports.deals"), dataIndex: "deals", align: "right" },
          { title: t("reports.won"), dataIndex: "won", align: "right" },
          { title: t("reports.lost"), dataIndex: "lost", align: "right" },
          { title: t("reports.wonValue"), key: "value", align: "right", render: (_, source) => sums(source.won_value, language) },
          { title: t("reports.winRate"), key: "rate", align: "right", render: (_, source) => percent(source.win_rate) },
        ]} />,
    );
  }
  const report = body as Schemas["Accuracy"];
  const currency = [...report.actual_won, ...report.points.flatMap((point) => point.forecast)][0]?.currency ?? "CNY";
  const option = accuracyOption(report, currency, { forecast: t("reports.forecastThen"), won: t("reports.actualWon"), error: t("reports.error") }, (iso) => dateTime(iso, language), compact);
  return side(
    <EChart option={option} label={t("reports.names.accuracy")} />,
    <Table aria-label={t("reports.names.accuracy")} size="small" pagination={false} rowKey="as_of" dataSource={report.points} locale={{ emptyText: <Typography.Text>{t("reports.empty")}</Typography.Text> }}
      columns={[
        { title: t("reports.asOf"), key: "as_of", render: (_, point) => dateTime(point.as_of, language) },
        { title: t("reports.forecastThen"), key: "forecast", align: "right", render: (_, point) => sums(point.forecast, language) },
        { title: t("reports.actualWon"), key: "won", align: "right", render: (_, point) => sums(point.won, language) },
        { title: t("reports.error"), key: "error", align: "right", render: (_, point) => sums(point.error, language) },
      ]} />,
  );
}
