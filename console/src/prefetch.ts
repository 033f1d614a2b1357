/** The first screen's data, asked for as soon as the session is known: in parallel with
 * loading the board's code rather than after it. Kept for that session only. */
import { api } from "./api/client";
import type { Session } from "./session";

/** Cards per column on the first screen: a column shows about six, and pages on from the list
 * view as it scrolls; more would only lengthen the answer the first screen waits for. */
const FIRST_PAGE = 30;

type BoardAnswer = ReturnType<typeof askBoard>;
let pending: { who: string; answer: BoardAnswer } | null = null;

function askBoard() {
  return api.GET("/pipeline/board", { params: { query: { cards: FIRST_PAGE } } });
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

/** Another page was opened before the board took its prefetched answer: what that page changes
 * (a stage's label, a deal) would not be in it, so the board asks afresh when it is opened. */
export function forgetBoard(): void {
  pending = null;
}
