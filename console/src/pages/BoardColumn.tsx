/** A board column and its cards: the column renders only the cards in view, and what a drag
 * re-renders (the draggable wrappers, the droppable column) is kept apart from what it need not
 * (each card's face, each column's title and sums). */
import { useDraggable, useDroppable } from "@dnd-kit/core";
import { Card, Tag, theme, Typography } from "antd";
import { memo, useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { defaultRangeExtractor, useVirtualizer } from "@tanstack/react-virtual";
import type { BoardColumn, DealCard } from "../api/client";
import { date, money, stageLabel, sums } from "../format";
import { navigate } from "../router";

/** A card's lines. Plain elements where Ant Design's Space and Typography.Text would only add a
 * gap and a colour: the board mounts about eighty cards on its first screen, and those
 * components were most of the React work it spent on them. */
export function CardBody({ card, language }: { card: DealCard; language: string }) {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const secondary = { color: token.colorTextSecondary };
  return (
    <div style={{ display: "flex", flexDirection: "column", gap: 2 }}>
      <Typography.Link
        strong
        href={`/deals/${card.deal_id}`}
        onClick={(event) => {
          event.preventDefault();
          navigate(`/deals/${card.deal_id}`);
        }}
      >
        {card.name}
      </Typography.Link>
      <span style={secondary}>{card.account_name}</span>
      <div style={{ display: "flex", flexWrap: "wrap", gap: 4 }}>
        <Tag color="blue" style={{ marginInlineEnd: 0 }}>
          {money(card.value, language)}
        </Tag>
        <Tag style={{ marginInlineEnd: 0 }}>{card.probability}%</Tag>
      </div>
      <span style={{ ...secondary, fontSize: 12 }}>
        {t("board.closes", { date: date(card.expected_close_date, language) })}
        {card.owner_id ? ` · ${t("board.owner", { owner: card.owner_id })}` : ""}
      </span>
    </div>
  );
}

interface CardProps {
  card: DealCard;
  language: string;
  disabled: boolean;
  position: number;
  of: number;
}

/** The card's face, memoised apart from its draggable wrapper: dnd-kit re-renders every
 * draggable each time the pointer enters another column (its context names the column under
 * it), and re-rendering the faces of every mounted card then cost a dropped frame a crossing. */
const CardFace = memo(function CardFace({ card, language }: { card: DealCard; language: string }) {
  return (
    <Card size="small">
      <CardBody card={card} language={language} />
    </Card>
  );
});

/** Memoised, as is the column: a scroll mounts the cards coming into view and leaves the
 * others alone, and a page loaded into one column leaves the other columns alone. */
const DraggableCard = memo(function DraggableCard({ card, language, disabled, position, of }: CardProps) {
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({
    id: card.deal_id,
    data: { stage: card.stage },
    disabled,
  });
  return (
    <div
      ref={setNodeRef}
      {...listeners}
      {...attributes}
      role="listitem"
      aria-posinset={position}
      aria-setsize={of}
      aria-roledescription="deal"
      aria-label={card.name}
      style={{ opacity: isDragging ? 0.4 : 1, cursor: disabled ? "default" : "grab", touchAction: "none" }}
    >
      <CardFace card={card} language={language} />
    </div>
  );
});

/** A card's height with its gap before the browser has measured it; close to the real one,
 * so the scroll bar hardly moves as cards are measured. */
const CARD_ESTIMATE = 124;
/** Ask for the next page this many cards before the column's end comes into view. */
const PAGE_AHEAD = 10;

interface ColumnProps {
  column: BoardColumn;
  language: string;
  disabled: boolean;
  activeId: string | null;
  onNeedMore: (stage: string, cursor: string) => void;
}

interface HeaderProps {
  column: BoardColumn;
  label: string;
  language: string;
}

/** A column's title and sums, memoised for the same reason as the card's face: they change
 * with the column's cards, not with the pointer passing over it. */
const ColumnHeader = memo(function ColumnHeader({ column, label, language }: HeaderProps) {
  const { t } = useTranslation();
  return (
    <header style={{ marginBottom: 8 }}>
      <Typography.Title level={5} style={{ margin: 0 }}>
        {label} {column.retired && <Tag>retired</Tag>}
      </Typography.Title>
      <div>
        <Typography.Text>{t("board.count", { count: column.count })}</Typography.Text>
      </div>
      <div>
        <Typography.Text type="secondary">
          {t("board.total")}: <span data-testid="total">{sums(column.total, language)}</span>
        </Typography.Text>
      </div>
      <div>
        <Typography.Text type="secondary">
          {t("board.weighted")}: <span data-testid="weighted">{sums(column.weighted, language)}</span>
        </Typography.Text>
      </div>
    </header>
  );
});

/** A column renders only the cards in (and just around) its visible part: a column of
 * thousands stays as cheap as one of ten. The card being dragged stays mounted wherever it
 * is, since dnd-kit follows its node. */
export const Column = memo(function Column({ column, language, disabled, activeId, onNeedMore }: ColumnProps) {
  const { t } = useTranslation();
  const { setNodeRef, isOver } = useDroppable({ id: column.stage });
  const label = stageLabel(column.labels, column.stage, language);
  const scroller = useRef<HTMLDivElement | null>(null);
  const activeIndex = activeId ? column.cards.findIndex((c) => c.deal_id === activeId) : -1;
  const virtualizer = useVirtualizer({
    count: column.cards.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => CARD_ESTIMATE,
    overscan: 4,
    getItemKey: (index) => column.cards[index].deal_id,
    rangeExtractor: (range) => {
      const indexes = defaultRangeExtractor(range);
      return activeIndex >= 0 && !indexes.includes(activeIndex) ? [...indexes, activeIndex].sort((a, b) => a - b) : indexes;
    },
  });
  const items = virtualizer.getVirtualItems();
  const last = items.length ? items[items.length - 1].index : -1;
  const { next_cursor: cursor, stage } = column;
  useEffect(() => {
    if (cursor && last >= column.cards.length - PAGE_AHEAD) onNeedMore(stage, cursor);
  }, [cursor, last, column.cards.length, stage, onNeedMore]);

  return (
    <section
      ref={setNodeRef}
      aria-label={label}
      style={{
        flex: "1 0 190px",
        maxWidth: 300,
        background: isOver ? "#e6f4ff" : "#fff",
        border: "1px solid #f0f0f0",
        borderRadius: 8,
        padding: 8,
        display: "flex",
        flexDirection: "column",
        maxHeight: "calc(100vh - 190px)",
      }}
    >
      <ColumnHeader column={column} label={label} language={language} />
      <div ref={scroller} data-testid="cards" style={{ overflowY: "auto", flex: 1, minHeight: 80 }}>
        {column.cards.length > 0 && (
          <div role="list" aria-label={label} style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
            {items.map((item) => (
              <div
                key={item.key}
                data-index={item.index}
                ref={virtualizer.measureElement}
                style={{ position: "absolute", top: 0, left: 0, width: "100%", paddingBottom: 8, transform: `translateY(${item.start}px)` }}
              >
                <DraggableCard
                  card={column.cards[item.index]}
                  language={language}
                  disabled={disabled}
                  position={item.index + 1}
                  of={column.count}
                />
              </div>
            ))}
          </div>
        )}
        {column.count === 0 && <Typography.Text type="secondary">{t("board.empty")}</Typography.Text>}
        {column.next_cursor && <Typography.Text type="secondary">{t("board.more")}</Typography.Text>}
      </div>
    </section>
  );
});
