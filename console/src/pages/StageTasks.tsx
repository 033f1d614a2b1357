/** One stage's required tasks in the stage editor: each a key, a subject and the days it is
 * due after a deal enters the stage (the pipeline opens them as tasks on the deal). */
import { Button, Input, InputNumber, Space } from "antd";
import { useTranslation } from "react-i18next";
import type { Schemas } from "../api/client";

type Task = Schemas["RequiredTask"];

export default function StageTasks({
  stage,
  tasks,
  error,
  onChange,
}: {
  stage: string;
  tasks: Task[];
  error?: "error";
  onChange: (tasks: Task[]) => void;
}) {
  const { t } = useTranslation();
  const change = (index: number, patch: Partial<Task>) => onChange(tasks.map((task, i) => (i === index ? { ...task, ...patch } : task)));
  return (
    <Space orientation="vertical" size={4}>
      {tasks.map((task, index) => (
        <Space.Compact key={index}>
          <Input
            aria-label={`${stage} · ${t("stageTasks.key")} ${index + 1}`}
            placeholder={t("stageTasks.key")}
            value={task.key}
            status={error}
            maxLength={64}
            onChange={(e) => change(index, { key: e.target.value })}
            style={{ width: 110 }}
          />
          <Input
            aria-label={`${stage} · ${t("stageTasks.subject")} ${index + 1}`}
            placeholder={t("stageTasks.subject")}
            value={task.subject}
            status={error}
            maxLength={500}
            onChange={(e) => change(index, { subject: e.target.value })}
            style={{ width: 180 }}
          />
          <InputNumber
            aria-label={`${stage} · ${t("stageTasks.dueInDays")} ${index + 1}`}
            placeholder={t("stageTasks.dueInDays")}
            value={task.due_in_days}
            status={error}
            min={0}
            precision={0}
            onChange={(value) => change(index, { due_in_days: value ?? 0 })}
            style={{ width: 80 }}
          />
          <Button aria-label={t("stageTasks.remove", { key: task.key || index + 1 })} onClick={() => onChange(tasks.filter((_, i) => i !== index))}>
            ×
          </Button>
        </Space.Compact>
      ))}
      <Button size="small" onClick={() => onChange([...tasks, { key: "", subject: "", due_in_days: 3 }])} aria-label={`${t("stageTasks.add")} · ${stage}`}>
        + {t("stageTasks.add")}
      </Button>
    </Space>
  );
}
