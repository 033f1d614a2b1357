/** What-if (POST /registration/what-if/recycling, POST /forecast/what-if/probabilities): the
 * recorded history replayed under other rules, beside the rules in force. A tab each: other
 * recycling rules (the deals that would have gone back to the pool, when, and which were won
 * later) and other stage probabilities (each week's forecast under both, beside what was
 * won). Nothing is recorded; ECharts loads with this page. */
import { Result, Space, Tabs, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import ProbabilitiesWhatIf from "./whatif/Probabilities";
import RecyclingWhatIf from "./whatif/Recycling";

type Tab = "recycling" | "probabilities";

export default function WhatIfPage() {
  const { t } = useTranslation();
  const [tab, setTab] = useState<Tab>(() => (window.location.hash.slice(1) === "probabilities" ? "probabilities" : "recycling"));
  const [forbidden, setForbidden] = useState<string | null>(null);
  if (forbidden !== null) return <Result status="403" title={t("whatif.forbidden")} subTitle={forbidden} />;
  return (
    <Space direction="vertical" style={{ width: "100%" }} size="middle">
      <Typography.Title level={3}>{t("whatif.title")}</Typography.Title>
      <Typography.Text type="secondary">{t("whatif.intro")}</Typography.Text>
      <Tabs
        activeKey={tab}
        onChange={(key) => {
          setTab(key as Tab);
          window.history.replaceState(null, "", `#${key}`);
        }}
        items={[
          { key: "recycling", label: t("whatif.recycling.tab"), children: <RecyclingWhatIf onForbidden={setForbidden} /> },
          { key: "probabilities", label: t("whatif.probabilities.tab"), children: <ProbabilitiesWhatIf onForbidden={setForbidden} /> },
        ]}
      />
    </Space>
  );
}
