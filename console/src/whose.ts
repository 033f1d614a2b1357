/** Whose day or report a page shows: the caller's own, a team's (the teams the caller
 * leads), or one rep of such a team. Written as one select value, `me`, `team:east` or
 * `owner:rep-1`, and turned into the `owner=` / `team=` query both routes take. */
import type { Session } from "./session";

export type Whose = { owner?: string; team?: string };

export function whoseQuery(choice: string): Whose {
  if (choice.startsWith("team:")) return { team: choice.slice("team:".length) };
  if (choice.startsWith("owner:")) return { owner: choice.slice("owner:".length) };
  return {};
}

/** The choices: mine, each team the caller leads, and the reps a team answer named
 * (`members`), the caller left out (mine already covers them). */
export function whoseChoices(session: Session, members: string[]): { value: string; team?: string; owner?: string }[] {
  const teams = session.role === "rep" ? [] : session.teams;
  return [
    { value: "me" },
    ...teams.map((team) => ({ value: `team:${team}`, team })),
    ...members.filter((member) => member !== session.userId).map((owner) => ({ value: `owner:${owner}`, owner })),
  ];
}
