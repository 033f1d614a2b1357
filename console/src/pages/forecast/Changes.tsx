/** What moved the weighted forecast between two instants (GET /forecast/changes) as a
 * waterfall: the forecast before, each piece rising or falling from the running total on a
 * transparent base, the forecast after. */
import { Alert, Card, Input, Space, Table, Typography } from "antd";
import { useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Schemas } from "../../api/client";
import EChart from "../../charts/EChart";
import { amountIn, compactNumber, PIECES, piecesIn, waterfall, waterfallOption } from "../../charts/options";
import { intlLocale, sums } from "../../format";
import { instantOf, localInputValue } from "../../periods";

const WEEK = 7 * 24 * 3600 * 1000;

export default function Changes({ period }: { period: string }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [from, setFrom] = useState(() => localInputValue(new Date(Date.now() - WEEK)));
  const [to, setTo] = useState(() => localInputValue(new Date(Date.now() + 60_000)));
  const [changes, setChanges] = useState<Schemas["Changes"] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    const [since, until] = [instantOf(from), instantOf(to)];
    if (!since || !until) return;
    void api.GET("/forecast/changes", { params: { query: { period, from: since, to: until } } }).then(({ data, error, response }) => {
      setChanges(data ?? null);
      setFailure(data ? null : `${response.status}: ${reason(error)}`);
    });
  }, [period, from, to]);

  const currency = changes?.weighted_after[0]?.currency ?? changes?.weighted_before[0]?.currency ?? "CNY";
  const format = useMemo(() => compactNumber(intlLocale(language)), [language]);
  const option = useMemo(() => {
    if (!changes) return null;
    const bridge = waterfall(amountIn(changes.weighted_before, currency), piecesIn(changes.pieces, currency));
    return waterfallOption(bridge, (step) => t(`changes.pieces.${step}`), { total: t("changes.total"), increase: t("changes.increase"), decrease: t("changes.decrease") }, format);
  }, [changes, currency, format, t]);

  const rows = changes
    ? [
        { key: "before", values: changes.weighted_before },
        ...PIECES.map((piece) => ({ key: piece, values: changes.pieces[piece] })),
        { key: "after", values: changes.weighted_after },
      ]
    : [];

  return (
    <Card title={t("changes.title")} size="small">
      <Space direction="vertical" style={{ width: "100%" }}>
        <Space wrap>
          <Input type="datetime-local" aria-label={t("changes.from")} addonBefore={t("changes.from")} value={from} onChange={(event) => setFrom(event.target.value)} style={{ width: 300 }} />
          <Input type="datetime-local" aria-label={t("changes.to")} addonBefore={t("changes.to")} value={to} onChange={(event) => setTo(event.target.value)} style={{ width: 300 }} />
          <Typography.Text type="secondary">{t("forecast.chartCurrency", { currency })}</Typography.Text>
        </Space>
        {failure && <Alert type="error" showIcon message={t("forecast.failed", { reason: failure })} />}
        {option && <EChart option={option} label={t("changes.title")} height={300} />}
        {changes && (
          <Table
            aria-label={t("changes.title")}
            size="small"
            pagination={false}
            rowKey="key"
            dataSource={rows}
            columns={[
              { title: t("changes.piece"), key: "piece", render: (_, row) => t(`changes.pieces.${row.key}`) },
              { title: t("forecast.weighted"), key: "values", align: "right", render: (_, row) => sums(row.values, language) },
            ]}
          />
        )}
      </Space>
    </Card>
  );
}
