/** Live updates: `useLive("pipeline", refetch)` calls `refetch` (debounced) whenever the
 * service's read models move on — a card moved, a deal registered, an approval — whoever
 * did it. The stream carries no data; the page asks its usual, access-checked routes again.
 * Read with fetch, so it is signed in like every other call (see sse.ts). */
import { useEffect, useRef } from "react";
import { requestHeaders } from "./api/client";
import { subscribe } from "./sse";

export type LiveService = "pipeline" | "registration" | "notifications";

/** `who` (the session) resubscribes when the caller changes. */
export function useLive(service: LiveService, onChange: () => void, who: unknown): void {
  const latest = useRef(onChange);
  useEffect(() => {
    latest.current = onChange;
  });
  useEffect(
    () =>
      subscribe({
        url: `${window.location.origin}/${service}/live`,
        headers: requestHeaders,
        onChange: () => latest.current(),
        // <html data-live-pipeline="open">: whether the page is following changes (what the
        // browser tests wait for before they change something elsewhere)
        onState: (open) => document.documentElement.setAttribute(`data-live-${service}`, open ? "open" : "closed"),
      }),
    [service, who],
  );
}
