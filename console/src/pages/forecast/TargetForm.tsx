/** A manager's or an admin's form for an owner's or a team's target in a period
 * (PUT /forecast/targets/{owner}/{period}, PUT /forecast/team-targets/{team}/{period}).
 * A refusal (403 out of reach, 422 unknown owner or team) is shown as the API words it. */
import { Alert, Button, Card, Input, InputNumber, Segmented, Select, Space } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason } from "../../api/client";
import { money } from "../../format";
import type { Session } from "../../session";
import PeriodSelect from "./PeriodSelect";

type Kind = "owner" | "team";

export default function TargetForm({ session, period: shown, onSaved }: { session: Session; period: string; onSaved: (subject: string, amount: string) => void }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [kind, setKind] = useState<Kind>("owner");
  const [subject, setSubject] = useState("");
  const [period, setPeriod] = useState(shown);
  const [amount, setAmount] = useState<string | null>(null);
  const [currency, setCurrency] = useState("CNY");
  const [teams, setTeams] = useState<string[]>(session.teams);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => setPeriod(shown), [shown]);
  useEffect(() => {
    void api.GET("/forecast/rules").then(({ data }) => {
      if (data && Object.keys(data.teams).length) setTeams(Object.keys(data.teams));
    });
  }, []);

  const save = async () => {
    setBusy(true);
    const body = { amount: { amount: amount ?? "", currency: currency.trim().toUpperCase() } };
    const answer =
      kind === "owner"
        ? await api.PUT("/forecast/targets/{owner_id}/{period}", { params: { path: { owner_id: subject.trim(), period } }, body })
        : await api.PUT("/forecast/team-targets/{team}/{period}", { params: { path: { team: subject, period } }, body });
    setBusy(false);
    if (answer.data) {
      const target = answer.data;
      setOutcome({ ok: true, text: t("targets.saved", { subject: target.subject_id, period: target.period, amount: money(target.amount, language) }) });
      onSaved(target.subject_id, target.amount.amount);
    } else setOutcome({ ok: false, text: t("targets.refused", { status: answer.response.status, reason: reason(answer.error) }) });
  };

  return (
    <Card title={t("targets.title")} size="small">
      <Space wrap align="start">
        <Segmented<Kind>
          aria-label={t("targets.kind")}
          value={kind}
          onChange={(value) => {
            setKind(value);
            setSubject("");
          }}
          options={[
            { value: "owner", label: t("targets.owner") },
            { value: "team", label: t("targets.team") },
          ]}
        />
        {kind === "owner" ? (
          <Input aria-label={t("targets.owner")} placeholder={t("targets.owner")} value={subject} maxLength={200} onChange={(event) => setSubject(event.target.value)} style={{ width: 160 }} />
        ) : (
          <Select aria-label={t("targets.team")} placeholder={t("targets.team")} value={subject || undefined} onChange={setSubject} style={{ width: 160 }} options={teams.map((team) => ({ value: team, label: team }))} />
        )}
        <PeriodSelect value={period} onChange={setPeriod} label={t("targets.period")} />
        <InputNumber<string> aria-label={t("targets.amount")} placeholder={t("targets.amount")} stringMode min="0" step="10000" value={amount} onChange={setAmount} style={{ width: 180 }} />
        <Input aria-label={t("targets.currency")} value={currency} maxLength={3} onChange={(event) => setCurrency(event.target.value)} style={{ width: 80 }} />
        <Button type="primary" loading={busy} disabled={!subject.trim() || !amount} onClick={() => void save()}>
          {t("targets.save")}
        </Button>
      </Space>
      {outcome && <Alert style={{ marginTop: 12 }} type={outcome.ok ? "success" : "error"} showIcon message={outcome.text} />}
    </Card>
  );
}
