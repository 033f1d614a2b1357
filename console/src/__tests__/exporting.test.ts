import { describe, expect, it } from "vitest";
import { fileName } from "../exporting";
import { pathOf } from "../search";

describe("an export's file name", () => {
  it("is the one the answer's Content-Disposition gives", () => {
    expect(fileName('attachment; filename="deals.csv"', "x.csv")).toBe("deals.csv");
    expect(fileName("attachment; filename=leads.xlsx", "x.xlsx")).toBe("leads.xlsx");
  });
  it("falls back to the page's own when the answer gives none", () => {
    expect(fileName(null, "accounts.csv")).toBe("accounts.csv");
  });
});

describe("a search hit", () => {
  const hit = { id: "d1", title: "新城百货有限公司", subtitle: null, account_id: "a1", deal_id: "d1", owner_id: "rep-1" };
  it("leads to its deal, its account, the contact or lead list", () => {
    expect(pathOf({ ...hit, kind: "deal" })).toBe("/deals/d1");
    expect(pathOf({ ...hit, kind: "account" })).toBe(`/accounts?q=${encodeURIComponent("新城百货有限公司")}`);
    expect(pathOf({ ...hit, kind: "contact", title: "王小明" })).toBe(`/contacts?q=${encodeURIComponent("王小明")}`);
    expect(pathOf({ ...hit, kind: "lead" })).toBe("/leads");
  });
});
