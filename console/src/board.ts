/** The board's local state changes: a card moved at once, before the server answers. */
import type { Board, BoardColumn, DealCard } from "./api/client";

export function findCard(board: Board, dealId: string) {
  for (const column of board.columns) {
    const card = column.cards.find((c) => c.deal_id === dealId);
    if (card) return { card, column };
  }
  return null;
}

/** The board with the card in `toStage` (first), counts adjusted; totals wait for the server. */
export function moveCard(board: Board, dealId: string, toStage: string): Board {
  const found = findCard(board, dealId);
  if (!found || found.column.stage === toStage) return board;
  const moved = { ...found.card, stage: toStage };
  const columns = board.columns.map((column): BoardColumn => {
    if (column.stage === found.column.stage) {
      return { ...column, count: column.count - 1, cards: column.cards.filter((c) => c.deal_id !== dealId) };
    }
    if (column.stage === toStage) return { ...column, count: column.count + 1, cards: [moved, ...column.cards] };
    return column;
  });
  return { ...board, columns };
}

/** The board with a column's next page of cards added (any card it shows already, say one
 * just moved into it, is not repeated) and the cursor for the page after. */
export function appendCards(board: Board, stage: string, cards: DealCard[], nextCursor: string | null): Board {
  const columns = board.columns.map((column): BoardColumn => {
    if (column.stage !== stage) return column;
    const shown = new Set(column.cards.map((c) => c.deal_id));
    return { ...column, cards: [...column.cards, ...cards.filter((c) => !shown.has(c.deal_id))], next_cursor: nextCursor };
  });
  return { ...board, columns };
}
