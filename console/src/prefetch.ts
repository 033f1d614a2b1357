/** The first screen's data, asked for as soon as the session is known: in parallel with
 * loading the board's code rather than after it. Kept for that session only. */
import { api } from "./api/client";
import type { Session } from "./session";

type BoardAnswer = ReturnType<typeof askBoard>;
let pending: { who: string; answer: BoardAnswer } | null = null;

function askBoard() {
  return api.GET("/pipeline/board", { params: { query: { cards: 50 } } });
}

const who = (session: Session) => JSON.stringify(session);

export function prefetchBoard(session: Session): void {
  pending = { who: who(session), answer: askBoard() };
}

/** The answer prefetched for this session, once; a fresh request otherwise. */
export function boardAnswer(session: Session): BoardAnswer {
  const prefetched = pending?.who === who(session) ? pending.answer : null;
  pending = null;
  return prefetched ?? askBoard();
}
