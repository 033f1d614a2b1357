import { describe, expect, it } from "vitest";
import type { Board } from "../api/client";
import { appendCards, findCard, moveCard } from "../board";
import { date, money, stageLabel, sums } from "../format";
import { fromQuery, identityHeaders, parseTeams } from "../session";

const card = (id: string, stage: string) => ({
  deal_id: id,
  name: id,
  account_name: "A",
  owner_id: "rep-1",
  source: null,
  stage,
  probability: 10,
  priority: "normal" as const,
  value: { amount: "100.00", currency: "CNY" },
  expected_close_date: "2027-01-31",
  outcome: null,
});

const board: Board = {
  pipeline_id: "default",
  columns: [
    { stage: "prospecting", labels: { en: "Prospecting", zh: "初步接触" }, retired: false, count: 2, total: [], weighted: [], cards: [card("a", "prospecting"), card("b", "prospecting")], next_cursor: null },
    { stage: "proposal", labels: { en: "Proposal", zh: "提案/报价" }, retired: false, count: 0, total: [], weighted: [], cards: [], next_cursor: null },
  ],
};

describe("moving a card on the board", () => {
  it("puts it first in the target column and adjusts both counts", () => {
    const moved = moveCard(board, "b", "proposal");
    expect(moved.columns[0].cards.map((c) => c.deal_id)).toEqual(["a"]);
    expect(moved.columns[0].count).toBe(1);
    expect(moved.columns[1].cards[0]).toMatchObject({ deal_id: "b", stage: "proposal" });
    expect(moved.columns[1].count).toBe(1);
  });

  it("leaves the board it was given untouched, so a refused move can spring back to it", () => {
    moveCard(board, "b", "proposal");
    expect(findCard(board, "b")?.column.stage).toBe("prospecting");
  });

  it("changes nothing for a drop on the card's own column or an unknown card", () => {
    expect(moveCard(board, "a", "prospecting")).toBe(board);
    expect(moveCard(board, "zzz", "proposal")).toBe(board);
  });
});

describe("signing in from the address", () => {
  it("reads user, role and teams from ?as=&role=&teams=", () => {
    expect(fromQuery("?as=rep-1&role=manager&teams=east,%20west")).toEqual({ userId: "rep-1", role: "manager", teams: ["east", "west"] });
  });

  it("takes an unknown role as a rep and no `as` as no sign-in", () => {
    expect(fromQuery("?as=x&role=root")?.role).toBe("rep");
    expect(fromQuery("?role=admin")).toBeNull();
  });

  it("sends the teams header only when there are teams", () => {
    expect(identityHeaders({ userId: "u", role: "rep", teams: [] })).toEqual({ "X-User-Id": "u", "X-User-Role": "rep" });
    expect(identityHeaders({ userId: "u", role: "rep", teams: parseTeams("a, b,,") })["X-User-Teams"]).toBe("a,b");
  });
});

describe("formatting for the reader's language", () => {
  it("formats money and dates with Intl", () => {
    expect(money({ amount: "120000.00", currency: "CNY" }, "zh-CN")).toBe("¥120,000.00");
    expect(money({ amount: "120000.00", currency: "CNY" }, "en")).toBe("CN¥120,000.00");
    expect(sums([], "en")).toBe("—");
    expect(date("2027-03-01", "zh-CN")).toBe("2027年3月1日");
  });

  it("takes a stage's label in the reader's language, falling back to English, then the key", () => {
    expect(stageLabel({ en: "Proposal", zh: "提案/报价" }, "proposal", "zh-CN")).toBe("提案/报价");
    expect(stageLabel({ en: "Proposal", zh: "提案/报价" }, "proposal", "en")).toBe("Proposal");
    expect(stageLabel({ en: "Proposal" }, "proposal", "zh-CN")).toBe("Proposal");
    expect(stageLabel({}, "proposal", "en")).toBe("proposal");
  });
});

describe("paging a column on", () => {
  it("adds the next page after the cards shown, skips one shown already, and keeps the new cursor", () => {
    const paged = appendCards(board, "prospecting", [card("b", "prospecting"), card("c", "prospecting")], "next");
    expect(paged.columns[0].cards.map((c) => c.deal_id)).toEqual(["a", "b", "c"]);
    expect(paged.columns[0].next_cursor).toBe("next");
    expect(paged.columns[1]).toBe(board.columns[1]);
  });
});
