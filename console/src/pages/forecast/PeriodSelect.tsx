/** The period picker of the forecast pages: quarters, months and years around today. */
import { Select } from "antd";
import { useMemo } from "react";
import { useTranslation } from "react-i18next";
import { periodChoices } from "../../periods";

export default function PeriodSelect({ value, onChange, label }: { value: string; onChange: (period: string) => void; label?: string }) {
  const { t } = useTranslation();
  const choices = useMemo(() => periodChoices(new Date()), []);
  const group = (title: string, periods: string[]) => ({ label: title, title, options: periods.map((period) => ({ value: period, label: period })) });
  return (
    <Select
      aria-label={label ?? t("forecast.period")}
      showSearch
      value={value}
      onChange={onChange}
      style={{ width: 140 }}
      options={[group(t("forecast.quarters"), choices.quarters), group(t("forecast.months"), choices.months), group(t("forecast.years"), choices.years)]}
    />
  );
}
