/** The rep's board: a column per stage (count, total, weighted); drag a card, or move it with
 * the keyboard, to another column to change its stage. The card moves at once and goes back,
 * with the server's reason, when the move is refused. */
import {
  DndContext,
  DragOverlay,
  KeyboardCode,
  KeyboardSensor,
  PointerSensor,
  useSensor,
  useSensors,
  type Announcements,
  type DragEndEvent,
  type DragStartEvent,
  type KeyboardCoordinateGetter,
} from "@dnd-kit/core";
import { Alert, Button, Card, Result, Space, Spin, Typography } from "antd";
import { lazy, Suspense, useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, reason, type Board, type DealCard, type Schemas } from "../api/client";
import { CardBody, Column } from "./BoardColumn";
import type { LostAnswer } from "./CloseLost";
import DemoOffer from "./DemoOffer";
import { appendCards, findCard, moveCard } from "../board";
import { useLive } from "../live";
import { boardAnswer } from "../prefetch";
import { stageLabel } from "../format";
import { canRegister, canWork, type Session } from "../session";

const RegisterDeal = lazy(() => import("./RegisterDeal"));
const CloseLost = lazy(() => import("./CloseLost"));

/** Cards per further page of a column. */
const PAGE = 100;

type StageState = Schemas["Stage"]["state"];
interface PendingLoss {
  dealId: string;
  dealName: string;
  toStage: string;
  before: Board;
}

/** Left / Right jump a lifted card to the centre of the neighbouring column. */
const columnByColumn: KeyboardCoordinateGetter = (event, { context, currentCoordinates }) => {
  const step = event.code === KeyboardCode.Right ? 1 : event.code === KeyboardCode.Left ? -1 : 0;
  if (!step) return undefined;
  event.preventDefault();
  const columns = [...context.droppableRects.entries()]
    .map(([id, rect]) => ({ id, rect }))
    .sort((a, b) => a.rect.left - b.rect.left);
  const over = context.over?.id ?? context.active?.data.current?.stage;
  const index = columns.findIndex((column) => column.id === over);
  const next = columns[index + step];
  if (!next) return currentCoordinates;
  const rect = context.collisionRect;
  const width = rect?.width ?? 0;
  return { x: next.rect.left + next.rect.width / 2 - width / 2, y: currentCoordinates.y };
};

type LoadError = { status: number; reason: string };

export default function BoardPage({ session }: { session: Session }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  const [board, setBoard] = useState<Board | null>(null);
  const [loadError, setLoadError] = useState<LoadError | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [dragging, setDragging] = useState<DealCard | null>(null);
  const [registering, setRegistering] = useState(false);
  const generation = useRef(0);
  const [states, setStates] = useState<Record<string, StageState>>({});
  const [rules, setRules] = useState<Schemas["PipelineRules"] | null>(null);
  const [loss, setLoss] = useState<PendingLoss | null>(null);

  useEffect(() => {
    // which columns close a deal (won / lost) and the lost reasons: the stage set and rules
    void api.GET("/pipeline/stages").then(({ data }) => {
      if (data) setStates(Object.fromEntries(data.stages.map((stage) => [stage.key, stage.state])));
    });
    void api.GET("/pipeline/rules").then(({ data }) => data && setRules(data));
  }, [session]);

  const load = useCallback(async (): Promise<Board | null> => {
    const asked = ++generation.current;
    const { data, error, response } = await boardAnswer(session);
    if (asked !== generation.current) return null; // a newer load (or a move) overtook this one
    if (error) {
      setLoadError({ status: response.status, reason: reason(error) });
      return null;
    }
    setLoadError(null);
    setBoard(data);
    return data;
  }, [session]);

  /** The read model follows the command within moments: load until it shows what we expect. */
  const settle = useCallback(
    async (until: (b: Board) => boolean) => {
      for (let attempt = 0; attempt < 30; attempt++) {
        const loaded = await load();
        if (loaded && until(loaded)) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    [load],
  );

  useEffect(() => {
    void load();
  }, [load, session]);

  /** A column's next page, asked for once while it is on its way; dropped if the column was
   * reloaded (or paged) meanwhile and no longer ends at that cursor. */
  const asked = useRef(new Set<string>());
  const needMore = useCallback(async (stage: string, cursor: string) => {
    if (asked.current.has(cursor)) return;
    asked.current.add(cursor);
    const { data } = await api.GET("/pipeline/deals", {
      params: { query: { stage, sort: "expected_close_date", limit: PAGE, cursor } },
    });
    asked.current.delete(cursor); // a reload starts the column over: its cursors come round again
    if (!data) return; // asked again when the column next scrolls
    setBoard((shown) => {
      const column = shown?.columns.find((c) => c.stage === stage);
      return shown && column?.next_cursor === cursor ? appendCards(shown, stage, data.items, data.next_cursor) : shown;
    });
  }, []);
  const onNeedMore = useCallback((stage: string, cursor: string) => void needMore(stage, cursor), [needMore]);

  // Someone else's change (another tab, a colleague, an approval) refetches the board, but
  // never under the user's hands: while a card is lifted, its move is on its way or a lost
  // deal's reason is being asked, the refetch waits and runs once the move has settled.
  const busy = useRef(false);
  const stale = useRef(false);
  const refresh = useCallback(() => {
    if (busy.current) stale.current = true;
    else void load();
  }, [load]);
  useLive("pipeline", refresh, session);
  const hold = () => {
    busy.current = true;
  };
  const release = () => {
    busy.current = false;
    if (stale.current) {
      stale.current = false;
      void load();
    }
  };

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, { coordinateGetter: columnByColumn }),
  );

  const onDragStart = ({ active }: DragStartEvent) => {
    hold();
    setRefusal(null);
    setDragging(board ? (findCard(board, String(active.id))?.card ?? null) : null);
  };

  const onDragEnd = async ({ active, over }: DragEndEvent) => {
    setDragging(null);
    if (!board || !over) return release();
    const dealId = String(active.id);
    const found = findCard(board, dealId);
    const toStage = String(over.id);
    if (!found || found.column.stage === toStage) return release();
    const before = board;
    generation.current++; // a load in flight must not undo the move
    setBoard(moveCard(board, dealId, toStage));
    if (states[toStage] === "lost" && rules) {
      setLoss({ dealId, dealName: found.card.name, toStage, before });
      return; // asks why first; cancelling springs back
    }
    const { error } =
      states[toStage] === "won"
        ? await api.POST("/pipeline/deals/{deal_id}/close", { params: { path: { deal_id: dealId } }, body: { outcome: "won" } })
        : await api.POST("/pipeline/deals/{deal_id}/stage", { params: { path: { deal_id: dealId } }, body: { to_stage: toStage } });
    await settleMove(dealId, found.card.name, toStage, before, error);
  };

  const settleMove = async (dealId: string, dealName: string, toStage: string, before: Board, error: unknown) => {
    try {
      await showMove(dealId, dealName, toStage, before, error);
    } finally {
      release();
    }
  };

  const showMove = async (dealId: string, dealName: string, toStage: string, before: Board, error: unknown) => {
    if (error) {
      generation.current++;
      setBoard(before); // springs back
      const target = before.columns.find((column) => column.stage === toStage);
      setRefusal(
        t("board.refused", {
          deal: dealName,
          stage: target ? stageLabel(target.labels, toStage, language) : toStage,
          reason: reason(error),
        }),
      );
      return;
    }
    await settle((b) => findCard(b, dealId)?.column.stage === toStage);
  };

  const closeLost = async (pending: PendingLoss, answer: LostAnswer) => {
    setLoss(null);
    const { error } = await api.POST("/pipeline/deals/{deal_id}/close", {
      params: { path: { deal_id: pending.dealId } },
      body: { outcome: "lost", reason: answer.reason, competitor: answer.competitor?.trim() || null },
    });
    await settleMove(pending.dealId, pending.dealName, pending.toStage, pending.before, error);
  };

  if (loadError) {
    return (
      <Result
        status={loadError.status === 403 ? "403" : "error"}
        title={loadError.status === 403 ? t("board.forbidden", { reason: loadError.reason }) : t("board.failed", { reason: loadError.reason })}
        extra={<Button onClick={() => void load()}>{t("board.reload")}</Button>}
      />
    );
  }
  if (!board) return <Spin />;

  const disabled = !canWork(session);
  const nameOf = (id: string | number) => findCard(board, String(id))?.card.name ?? String(id);
  const labelOf = (id: string | number | undefined) => {
    const target = board.columns.find((column) => column.stage === id);
    return target ? stageLabel(target.labels, target.stage, language) : String(id ?? "");
  };
  const announcements: Announcements = {
    onDragStart: ({ active }) => t("board.announce.start", { deal: nameOf(active.id) }),
    onDragOver: ({ active, over }) => over ? t("board.announce.over", { deal: nameOf(active.id), stage: labelOf(over.id) }) : undefined,
    onDragEnd: ({ active, over }) => over ? t("board.announce.end", { deal: nameOf(active.id), stage: labelOf(over.id) }) : undefined,
    onDragCancel: ({ active }) => t("board.announce.cancel", { deal: nameOf(active.id) }),
  };
  return (
    <main>
      <Space style={{ marginBottom: 12 }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("board.title")}
        </Typography.Title>
        {canRegister(session) && (
          <Button type="primary" onClick={() => setRegistering(true)}>
            {t("register.open")}
          </Button>
        )}
        <Button onClick={() => void load()}>{t("board.reload")}</Button>
        {!disabled && <Typography.Text type="secondary">{t("board.dragHint")}</Typography.Text>}
      </Space>
      {board.columns.every((column) => column.count === 0) && (
        <DemoOffer onLoaded={() => void settle((b) => b.columns.some((column) => column.count > 0))} />
      )}
      {refusal && (
        <Alert type="error" showIcon closable role="alert" title={refusal} onClose={() => setRefusal(null)} style={{ marginBottom: 12 }} />
      )}
      <DndContext
        sensors={sensors}
        accessibility={{ announcements, screenReaderInstructions: { draggable: t("board.dragHint") } }} onDragStart={onDragStart} onDragEnd={(e) => void onDragEnd(e)} onDragCancel={() => {
          setDragging(null);
          release();
        }}>
        <div style={{ display: "flex", gap: 12, overflowX: "auto", alignItems: "flex-start", paddingBottom: 8 }}>
          {board.columns.map((column) => (
            <Column
              key={column.stage}
              column={column}
              language={language}
              disabled={disabled}
              activeId={dragging?.deal_id ?? null}
              onNeedMore={onNeedMore}
            />
          ))}
        </div>
        <DragOverlay>
          {dragging && (
            <Card size="small" style={{ width: 220, boxShadow: "0 6px 16px rgba(0,0,0,.2)" }}>
              <CardBody card={dragging} language={language} />
            </Card>
          )}
        </DragOverlay>
      </DndContext>
      {loss && rules && (
        <Suspense fallback={null}>
          <CloseLost
            dealName={loss.dealName}
            rules={rules}
            onClose={(answer) => void closeLost(loss, answer)}
            onCancel={() => {
              generation.current++;
              setBoard(loss.before);
              setLoss(null);
              release();
            }}
          />
        </Suspense>
      )}
      {registering && (
        <Suspense fallback={null}>
          <RegisterDeal
            open={registering}
            onClose={() => setRegistering(false)}
            onRegistered={(dealId) => void settle((b) => findCard(b, dealId) !== null)}
          />
        </Suspense>
      )}
    </main>
  );
}
