/** The admin's stage-set editor: the pipeline's stages in order (drag a row by its handle,
 * or move it with the keyboard or the ↑ ↓ buttons), their labels in 中文 and English,
 * probability, forecast category, exit criteria and required tasks; add a stage, retire one (never deleted),
 * and save the whole set. The API's refusals (422) are listed beside the form, naming the
 * stage and field. */
import {
  DndContext,
  KeyboardCode,
  KeyboardSensor,
  PointerSensor,
  useDraggable,
  useDroppable,
  useSensor,
  useSensors,
  type Announcements,
  type DragEndEvent,
  type KeyboardCoordinateGetter,
} from "@dnd-kit/core";
import { App as AntApp, Alert, Button, Input, InputNumber, Result, Select, Space, Spin, Table, Tag, Typography } from "antd";
import { createContext, useContext, useEffect, useRef, useState, type HTMLAttributes } from "react";
import { useTranslation } from "react-i18next";
import { api, reason } from "../api/client";
import { stageLabel } from "../format";
import { canEditStages, type Session } from "../session";
import StageTasks from "./StageTasks";
import { blankRow, CATEGORIES, CRITERIA, defineBody, fieldProblems, moveRow, rowsOf, STATES, type FieldProblem, type Stage, type StageRow } from "../stages";

/** Up / Down jump a lifted row onto the neighbouring row. */
const rowByRow: KeyboardCoordinateGetter = (event, { context, currentCoordinates }) => {
  const step = event.code === KeyboardCode.Down ? 1 : event.code === KeyboardCode.Up ? -1 : 0;
  if (!step) return undefined;
  event.preventDefault();
  const rows = [...context.droppableRects.entries()].map(([id, rect]) => ({ id, rect })).sort((a, b) => a.rect.top - b.rect.top);
  const index = rows.findIndex((row) => row.id === (context.over?.id ?? context.active?.id));
  const next = rows[index + step];
  if (!next) return currentCoordinates;
  return { x: currentCoordinates.x, y: next.rect.top + next.rect.height / 2 - (context.collisionRect?.height ?? 0) / 2 };
};

const DragLabel = createContext<(id: string) => string>((id) => id);

function Handle({ id }: { id: string }) {
  const name = useContext(DragLabel)(id);
  const { t } = useTranslation();
  const { attributes, listeners, setNodeRef } = useDraggable({ id });
  return (
    <button
      ref={setNodeRef}
      type="button"
      {...listeners}
      {...attributes}
      aria-label={t("stages.drag", { stage: name })}
      style={{ cursor: "grab", touchAction: "none", border: "1px solid #d9d9d9", background: "#fff", borderRadius: 4, padding: "2px 8px" }}
    >
      ⠿
    </button>
  );
}

/** A table row that is a drop target: a lifted row lands where this one is. */
function DroppableRow(props: HTMLAttributes<HTMLTableRowElement> & { "data-row-key"?: string }) {
  const { setNodeRef, isOver } = useDroppable({ id: props["data-row-key"] ?? "" });
  return <tr {...props} ref={setNodeRef} style={{ ...props.style, outline: isOver ? "2px solid #0958d9" : undefined }} />;
}

export default function StageEditorPage({ session }: { session: Session }) {
  const { t, i18n } = useTranslation();
  const { message } = AntApp.useApp();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [pipelineId, setPipelineId] = useState<string | null>(null);
  const [rows, setRows] = useState<StageRow[] | null>(null);
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const serial = useRef(0);
  const allowed = canEditStages(session);

  useEffect(() => {
    if (!allowed) return;
    void api.GET("/pipeline/stages").then(({ data, error }) => {
      if (error) return setFailure(reason(error));
      setPipelineId(data.pipeline_id);
      setRows(rowsOf(data.stages));
    });
  }, [allowed]);

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, { coordinateGetter: rowByRow }),
  );

  if (!allowed) return <Result status="403" title={t("stages.forbidden")} />;
  if (failure && !rows) return <Result status="error" title={t("board.failed", { reason: failure })} />;
  if (!rows || !pipelineId) return <Spin />;

  const nameOf = (id: string | number) => {
    const row = rows.find((r) => r.id === String(id));
    return row ? stageLabel(row.stage.labels, row.stage.key || t("stages.newStage"), language) : String(id);
  };
  const edit = (id: string, change: Partial<Stage>) =>
    setRows(rows.map((row) => (row.id === id ? { ...row, stage: { ...row.stage, ...change } } : row)));
  const move = (from: number, to: number) => setRows(moveRow(rows, from, to));
  const onDragEnd = ({ active, over }: DragEndEvent) => {
    if (!over) return;
    move(rows.findIndex((r) => r.id === active.id), rows.findIndex((r) => r.id === over.id));
  };
  const problemsAt = (index: number) => problems.filter((p) => p.row === index);
  const status = (index: number, field: string) => (problemsAt(index).some((p) => p.field.split(".")[0] === field) ? "error" : undefined);

  const save = async () => {
    setSaving(true);
    setProblems([]);
    setFailure(null);
    const { data, error, response } = await api.PUT("/pipeline/pipelines/{pipeline_id}", {
      params: { path: { pipeline_id: pipelineId } },
      body: defineBody(rows),
    });
    setSaving(false);
    if (error) {
      const found = response.status === 422 ? fieldProblems(error) : [];
      if (found.length) setProblems(found);
      else setFailure(response.status === 403 ? t("stages.forbidden") : reason(error));
      return;
    }
    setRows(rowsOf(data.stages));
    void message.success(t("stages.saved"));
  };

  const announcements: Announcements = {
    onDragStart: ({ active }) => t("board.announce.start", { deal: nameOf(active.id) }),
    onDragOver: ({ active, over }) => (over ? t("stages.announceOver", { stage: nameOf(active.id), target: nameOf(over.id) }) : undefined),
    onDragEnd: ({ active, over }) => (over ? t("stages.announceEnd", { stage: nameOf(active.id), target: nameOf(over.id) }) : undefined),
    onDragCancel: ({ active }) => t("board.announce.cancel", { deal: nameOf(active.id) }),
  };

  const problemText = (p: FieldProblem) => {
    const where = p.row === null ? "" : `${t("stages.position", { n: p.row + 1 })} (${nameOf(rows[p.row]?.id ?? "")}) · `;
    return `${where}${p.field}: ${p.message}`;
  };

  return (
    <main>
      <Space style={{ marginBottom: 12 }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("stages.title")}
        </Typography.Title>
        <Tag>{pipelineId}</Tag>
        <Typography.Text type="secondary">{t("stages.hint")}</Typography.Text>
      </Space>
      {(problems.length > 0 || failure) && (
        <Alert
          type="error"
          role="alert"
          showIcon
          style={{ marginBottom: 12 }}
          title={t("stages.refused")}
          description={
            <ul style={{ margin: 0, paddingLeft: 20 }} aria-label={t("stages.refused")}>
              {failure && <li>{failure}</li>}
              {problems.map((p, index) => (
                <li key={index}>{problemText(p)}</li>
              ))}
            </ul>
          }
        />
      )}
      <DragLabel.Provider value={(id) => nameOf(id)}>
        <DndContext
          sensors={sensors}
          onDragEnd={onDragEnd}
          accessibility={{ announcements, screenReaderInstructions: { draggable: t("stages.dragHint") } }}
        >
          <Table<StageRow>
            size="small"
            pagination={false}
            rowKey="id"
            dataSource={rows}
            components={{ body: { row: DroppableRow } }}
            rowClassName={(row) => (row.stage.retired ? "stage-retired" : "")}
            onRow={(row) => ({ style: row.stage.retired ? { background: "#f5f5f5" } : undefined })}
            columns={[
              {
                title: t("stages.order"),
                key: "order",
                width: 150,
                render: (_: unknown, row, index) => (
                  <Space size={4}>
                    <Handle id={row.id} />
                    <Typography.Text>{index + 1}</Typography.Text>
                    <Button size="small" aria-label={t("stages.up", { stage: nameOf(row.id) })} disabled={index === 0} onClick={() => move(index, index - 1)}>
                      ↑
                    </Button>
                    <Button size="small" aria-label={t("stages.down", { stage: nameOf(row.id) })} disabled={index === rows.length - 1} onClick={() => move(index, index + 1)}>
                      ↓
                    </Button>
                  </Space>
                ),
              },
              {
                title: t("stages.key"),
                key: "key",
                render: (_: unknown, row, index) =>
                  row.added ? (
                    <Input
                      aria-label={t("stages.keyOf", { n: index + 1 })}
                      value={row.stage.key}
                      status={status(index, "key")}
                      maxLength={64}
                      onChange={(e) => edit(row.id, { key: e.target.value })}
                      style={{ width: 140 }}
                    />
                  ) : (
                    <Typography.Text code>{row.stage.key}</Typography.Text>
                  ),
              },
              ...(["zh", "en"] as const).map((code) => ({
                title: t(`stages.label_${code}`),
                key: `label-${code}`,
                render: (_: unknown, row: StageRow, index: number) => (
                  <Input
                    aria-label={t(`stages.labelOf_${code}`, { stage: row.stage.key || t("stages.newStage") })}
                    value={row.stage.labels[code] ?? ""}
                    status={status(index, "labels")}
                    maxLength={100}
                    onChange={(e) => edit(row.id, { labels: { ...row.stage.labels, [code]: e.target.value } })}
                    style={{ width: 160 }}
                  />
                ),
              })),
              {
                title: t("deal.probability"),
                key: "probability",
                render: (_: unknown, row, index) => (
                  <InputNumber
                    aria-label={t("stages.probabilityOf", { stage: row.stage.key || t("stages.newStage") })}
                    value={row.stage.probability}
                    status={status(index, "probability")}
                    onChange={(value) => edit(row.id, { probability: value ?? 0 })}
                    suffix="%"
                    style={{ width: 100 }}
                  />
                ),
              },
              {
                title: t("deal.category"),
                key: "category",
                render: (_: unknown, row, index) => (
                  <Select
                    aria-label={t("stages.categoryOf", { stage: row.stage.key || t("stages.newStage") })}
                    value={row.stage.forecast_category}
                    status={status(index, "forecast_category")}
                    onChange={(value) => edit(row.id, { forecast_category: value })}
                    options={CATEGORIES.map((c) => ({ value: c, label: t(`deal.categories.${c}`) }))}
                    style={{ width: 130 }}
                  />
                ),
              },
              {
                title: t("stages.state"),
                key: "state",
                render: (_: unknown, row, index) =>
                  row.added ? (
                    <Select
                      aria-label={t("stages.stateOf", { n: index + 1 })}
                      value={row.stage.state}
                      onChange={(value) => edit(row.id, { state: value })}
                      options={STATES.map((s) => ({ value: s, label: t(`stages.states.${s}`) }))}
                      style={{ width: 100 }}
                    />
                  ) : (
                    t(`stages.states.${row.stage.state}`)
                  ),
              },
              {
                title: t("stages.exitCriteria"),
                key: "criteria",
                render: (_: unknown, row, index) => (
                  <Select
                    mode="multiple"
                    aria-label={t("stages.criteriaOf", { stage: row.stage.key || t("stages.newStage") })}
                    value={row.stage.exit_criteria}
                    status={status(index, "exit_criteria")}
                    onChange={(value) => edit(row.id, { exit_criteria: value })}
                    options={CRITERIA.map((c) => ({ value: c, label: t(`stages.criteria.${c}`) }))}
                    style={{ minWidth: 200 }}
                  />
                ),
              },
              {
                title: t("stageTasks.title"),
                key: "tasks",
                render: (_: unknown, row, index) => (
                  <StageTasks
                    stage={row.stage.key || t("stages.newStage")}
                    tasks={row.stage.required_tasks}
                    error={status(index, "required_tasks")}
                    onChange={(required_tasks) => edit(row.id, { required_tasks })}
                  />
                ),
              },
              {
                title: t("stages.status"),
                key: "retired",
                render: (_: unknown, row) => (
                  <Space size={4}>
                    {row.stage.retired ? <Tag>{t("stages.retired")}</Tag> : <Typography.Text>{t("stages.active")}</Typography.Text>}
                    {row.added ? (
                      <Button size="small" onClick={() => setRows(rows.filter((r) => r.id !== row.id))}>
                        {t("stages.discard")}
                      </Button>
                    ) : (
                      <Button
                        size="small"
                        aria-label={t(row.stage.retired ? "stages.restoreStage" : "stages.retireStage", { stage: nameOf(row.id) })}
                        onClick={() => edit(row.id, { retired: !row.stage.retired })}
                      >
                        {row.stage.retired ? t("stages.restore") : t("stages.retire")}
                      </Button>
                    )}
                  </Space>
                ),
              },
            ]}
          />
        </DndContext>
      </DragLabel.Provider>
      <Space style={{ marginTop: 12 }}>
        <Button onClick={() => setRows([...rows, blankRow(++serial.current)])}>{t("stages.add")}</Button>
        <Button type="primary" loading={saving} onClick={() => void save()}>
          {t("stages.save")}
        </Button>
      </Space>
    </main>
  );
}
