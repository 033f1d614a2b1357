import { describe, expect, it } from "vitest";
import type { Session } from "../session";
import { whoseChoices, whoseQuery } from "../whose";

const manager: Session = { userId: "mgr-1", role: "manager", teams: ["east", "west"] };

describe("whose day or report a page asks for", () => {
  it("asks for the caller's own when nothing else is chosen", () => {
    expect(whoseQuery("me")).toEqual({});
  });

  it("asks for a team or one rep by the choice's prefix", () => {
    expect(whoseQuery("team:east")).toEqual({ team: "east" });
    expect(whoseQuery("owner:rep-1")).toEqual({ owner: "rep-1" });
  });

  it("offers a manager their teams and the reps a team answer named, themself left out", () => {
    const values = whoseChoices(manager, ["rep-1", "mgr-1", "rep-2"]).map((c) => c.value);
    expect(values).toEqual(["me", "team:east", "team:west", "owner:rep-1", "owner:rep-2"]);
  });

  it("offers a rep only their own, whatever teams they are in", () => {
    expect(whoseChoices({ userId: "rep-1", role: "rep", teams: ["east"] }, [])).toEqual([{ value: "me" }]);
  });
});
