/** The one typed client of the services' public HTTP APIs. Its types are generated from
 * the OpenAPI (`npm run api-types` against a running `make run`), so a route the services
 * do not publish does not compile. */
import createClient, { type Middleware } from "openapi-fetch";
import { identityHeaders, type Session } from "../session";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Money = Schemas["MoneyOut"];
export type Board = Schemas["Board"];
export type BoardColumn = Schemas["BoardColumn"];
export type DealCard = Schemas["DealCard"];

let current: Session | null = null;

export function speakAs(session: Session | null): void {
  current = session;
}

/** The headers that say who calls: on every API request, and on the live streams (live.ts). */
export function requestHeaders(): Record<string, string> {
  return current ? identityHeaders(current) : {};
}

const COMMANDS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const identity: Middleware = {
  onRequest({ request }) {
    for (const [name, value] of Object.entries(requestHeaders())) request.headers.set(name, value);
    // A key per command: a command sent again (by a page's retry) is answered, not applied twice.
    // randomUUID exists only in a secure context (https, localhost); elsewhere commands go without.
    if (COMMANDS.has(request.method) && !request.headers.has("Idempotency-Key") && globalThis.crypto?.randomUUID) {
      request.headers.set("Idempotency-Key", globalThis.crypto.randomUUID());
    }
    return request;
  },
};

// JSON answers are what the pages read; the routes that also answer files (CSV, XLSX) are
// asked for those with `parseAs: "blob"` (ExportButtons).
export const api = createClient<paths, "application/json">({ baseUrl: window.location.origin });
api.use(identity);

/** What an error answer says, in one line: `detail` (403, 404, 409, …) or the 422 list. */
export function reason(error: unknown): string {
  if (!error || typeof error !== "object") return String(error ?? "");
  const detail = (error as { detail?: unknown }).detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((problem: { loc?: unknown[]; msg?: string }) => problem.msg ?? JSON.stringify(problem))
      .join("; ");
  }
  return JSON.stringify(error);
}

/** The deal a refused duplicate registration names (409), if it names one. */
export function conflictingDeal(error: unknown): { dealId: string; matchedOn?: string } | null {
  if (!error || typeof error !== "object") return null;
  const body = error as { conflicting_deal_id?: unknown; matched_on?: unknown };
  if (typeof body.conflicting_deal_id !== "string") return null;
  return {
    dealId: body.conflicting_deal_id,
    matchedOn: typeof body.matched_on === "string" ? body.matched_on : undefined,
  };
}
