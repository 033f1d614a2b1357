/** Who the console speaks as. In the embedded (header) mode the sign-in screen, or
 * `/?as=rep-1&role=rep&teams=east`, picks the user; every API call then carries
 * X-User-Id / X-User-Role / X-User-Teams (development only, as the README says). */
export const ROLES = ["rep", "manager", "auditor", "admin", "partner"] as const;
export type Role = (typeof ROLES)[number];

export interface Session {
  userId: string;
  role: Role;
  teams: string[];
  /** The outside organisation a partner acts for (X-User-Partner); only a partner has one. */
  partner?: string;
}

const KEY = "crm.session";

function isRole(value: string | null): value is Role {
  return value !== null && (ROLES as readonly string[]).includes(value);
}

export function parseTeams(text: string): string[] {
  return text
    .split(",")
    .map((team) => team.trim())
    .filter(Boolean);
}

/** `?as=rep-1&role=rep&teams=east,west` signs in directly; null when `as` is absent. */
export function fromQuery(search: string): Session | null {
  const query = new URLSearchParams(search);
  const userId = query.get("as")?.trim();
  if (!userId) return null;
  const role = query.get("role");
  const partner = query.get("partner")?.trim();
  return {
    userId,
    role: isRole(role) ? role : "rep",
    teams: parseTeams(query.get("teams") ?? ""),
    ...(partner ? { partner } : {}),
  };
}

export function load(): Session | null {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? "null");
    if (stored && typeof stored.userId === "string" && isRole(stored.role) && Array.isArray(stored.teams)) {
      return stored as Session;
    }
  } catch {
    // a damaged entry is the same as none
  }
  return null;
}

export function save(session: Session): void {
  localStorage.setItem(KEY, JSON.stringify(session));
}

export function clear(): void {
  localStorage.removeItem(KEY);
}

export function identityHeaders(session: Session): Record<string, string> {
  const headers: Record<string, string> = { "X-User-Id": session.userId, "X-User-Role": session.role };
  if (session.teams.length) headers["X-User-Teams"] = session.teams.join(",");
  // the API refuses a partner without its organisation, and anyone else with one
  if (session.role === "partner" && session.partner) headers["X-User-Partner"] = session.partner;
  return headers;
}

/** Which of the board's actions a role is offered (the API still decides). */
export function canWork(session: Session): boolean {
  return session.role !== "auditor" && session.role !== "partner";
}

export function canRegister(session: Session): boolean {
  return session.role !== "auditor";
}

/** A partner's user: it registers deals and reads its organisation's registrations, nothing else. */
export function isPartner(session: Session): boolean {
  return session.role === "partner";
}

/** Who manages the product catalogue (the access table's `product manage`). */
export function canManageProducts(session: Session): boolean {
  return session.role === "admin";
}

/** Who reads leads (the access table's `lead list`). */
export function canSeeLeads(session: Session): boolean {
  return session.role !== "partner";
}

/** Who may disqualify or convert a lead (the access table's `lead disqualify` / `convert`). */
export function canWorkLeads(session: Session): boolean {
  return session.role === "rep" || session.role === "manager" || session.role === "admin";
}

/** Who reads the lead-score model (STAFF) and who trains it (admin). */
export function canTrainScores(session: Session): boolean {
  return session.role === "admin";
}

/** Who reads the partner report (the access table's `partner report read`). */
export function canSeePartners(session: Session): boolean {
  return session.role === "manager" || session.role === "auditor" || session.role === "admin";
}

/** Who is offered the approval queue: those who may list registrations awaiting review. */
export function canSeeQueue(session: Session): boolean {
  return session.role === "manager" || session.role === "admin" || session.role === "auditor";
}

/** Who may approve, reject or assign a registration (the access table's `deal review`). */
export function canReview(session: Session): boolean {
  return session.role === "manager" || session.role === "admin";
}

/** Who may have the assignment rules give an import's rows their owners (the access table's
 * `assignment rules apply`). */
export function canAssignByRules(session: Session): boolean {
  return session.role === "manager" || session.role === "admin";
}

/** Who may claim a deal from the pool (the access table's `pool claim`). */
export function canClaim(session: Session): boolean {
  return session.role !== "auditor" && session.role !== "partner";
}

/** Who reads the management reports and the forecast's changes (the access table's `report read`). */
export function canSeeReports(session: Session): boolean {
  return session.role === "manager" || session.role === "admin" || session.role === "auditor";
}

/** Who may set an owner's or a team's target (the access table's `target set`). */
export function canSetTargets(session: Session): boolean {
  return session.role === "manager" || session.role === "admin";
}

/** Who may edit the stage sets (the access table's `stage set define`). */
export function canEditStages(session: Session): boolean {
  return session.role === "admin";
}

/** Who is offered the assignment rules' page: their dry run is a manager's or an admin's
 * (the access table's `assignment rules dry run`); the API lets the other staff read them. */
export function canSeeAssignmentRules(session: Session): boolean {
  return session.role === "manager" || session.role === "admin";
}

/** Who may define the assignment rules (the access table's `assignment rules define`). */
export function canDefineAssignmentRules(session: Session): boolean {
  return session.role === "admin";
}
