/** The labels the forecast pages put on keys: a stage's own label, a category's name. */
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../api/client";
import { stageLabel } from "../../format";

/** A stage key → its label in the reader's language (the key until the stages arrive). */
export function useStageName(): (stage: string) => string {
  const { i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [labels, setLabels] = useState<Record<string, Record<string, string>>>({});
  useEffect(() => {
    void api.GET("/pipeline/stages").then(({ data }) => {
      if (data) setLabels(Object.fromEntries(data.stages.map((stage) => [stage.key, stage.labels])));
    });
  }, []);
  return (stage: string) => (labels[stage] ? stageLabel(labels[stage], stage, language) : stage);
}

/** How a group's key reads for the grouping it comes from. */
export function useGroupName(groupBy: string): (key: string | null) => string {
  const { t } = useTranslation();
  const stageName = useStageName();
  return (key: string | null) => {
    if (key === null) return t("forecast.noKey");
    if (groupBy === "forecast_category") return t(`forecast.categories.${key}`, { defaultValue: key });
    if (groupBy === "stage") return stageName(key);
    return key;
  };
}
