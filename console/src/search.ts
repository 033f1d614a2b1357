/** The search box's logic, apart from its component: where a hit leads. */
import type { components } from "./api/schema";

export type Hit = components["schemas"]["Hit"];

/** Where a hit leads: its deal, the lead list, its account, the contact list. */
export function pathOf(hit: Hit): string {
  if (hit.kind === "deal") return `/deals/${hit.id}`;
  if (hit.kind === "lead") return "/leads";
  if (hit.kind === "account") return `/accounts?q=${encodeURIComponent(hit.title)}`;
  return `/contacts?q=${encodeURIComponent(hit.title)}`;
}
