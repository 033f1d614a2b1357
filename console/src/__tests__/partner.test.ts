import { describe, expect, it } from "vitest";
import { canClaim, canSeeLeads, canSeePartners, canWork, fromQuery, identityHeaders, isPartner } from "../session";

describe("a partner's session", () => {
  it("names its organisation from the address", () => {
    expect(fromQuery("?as=p-1&role=partner&partner=org-sunrise")).toEqual({ userId: "p-1", role: "partner", teams: [], partner: "org-sunrise" });
  });

  it("sends the organisation as X-User-Partner", () => {
    expect(identityHeaders({ userId: "p-1", role: "partner", teams: [], partner: "org-sunrise" })).toEqual({
      "X-User-Id": "p-1",
      "X-User-Role": "partner",
      "X-User-Partner": "org-sunrise",
    });
  });

  it("never sends an organisation for anyone else (the API refuses it)", () => {
    expect(identityHeaders({ userId: "rep-1", role: "rep", teams: [], partner: "org-x" })["X-User-Partner"]).toBeUndefined();
  });

  it("is offered none of the staff's work", () => {
    const partner = { userId: "p-1", role: "partner" as const, teams: [], partner: "org" };
    expect(isPartner(partner)).toBe(true);
    expect([canWork(partner), canClaim(partner), canSeeLeads(partner), canSeePartners(partner)]).toEqual([false, false, false, false]);
  });
});
