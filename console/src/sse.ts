/** Server-sent events read with fetch: the events of a `text/event-stream` answer, and a
 * subscription that reconnects (with Last-Event-ID) until it is stopped.
 *
 * Why fetch and not EventSource: EventSource cannot send headers, and every route of the
 * services, this one included, learns who calls from headers (X-User-* in the embedded mode,
 * `Authorization: Bearer` with JWTs). With fetch the stream is authenticated exactly like
 * every other call: no identity in the query string, where a token would be logged by
 * proxies and kept in the history, and no route-specific way of signing in on the server.
 * The price is this file: the parsing and the reconnecting EventSource would have done. */

export interface SseEvent {
  event: string;
  id?: string;
  data: string;
  retry?: number;
}

/** The complete events in `text` (comments skipped), and what is left of an event still
 * arriving. Lines may end in \n, \r\n or \r. */
export function parseEvents(text: string): { events: SseEvent[]; rest: string } {
  const normalised = text.replace(/\r\n?/g, "\n");
  const blocks = normalised.split("\n\n");
  const rest = blocks.pop() ?? "";
  const events: SseEvent[] = [];
  for (const block of blocks) {
    const event: SseEvent = { event: "message", data: "" };
    const data: string[] = [];
    let fields = 0;
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      fields++;
      if (name === "event") event.event = value;
      else if (name === "data") data.push(value);
      else if (name === "id") event.id = value;
      else if (name === "retry" && /^\d+$/.test(value)) event.retry = Number(value);
    }
    if (fields) events.push({ ...event, data: data.join("\n") });
  }
  return { events, rest };
}

export interface Subscription {
  url: string;
  headers: () => Record<string, string>;
  /** Each `changed` event, after `debounceMs` of quiet (a burst of commits: one refetch). */
  onChange: () => void;
  /** The stream is up (its first event came) / down (until it reconnects). */
  onState?: (open: boolean) => void;
  debounceMs?: number;
  /** The first pause before reconnecting (the server's `retry:` replaces it); doubled after
   * each failure in a row, up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  fetcher?: typeof fetch;
}

/** Listen until the returned function is called. */
export function subscribe(options: Subscription): () => void {
  const { url, headers, onChange, onState = () => {}, debounceMs = 150, maxRetryMs = 30_000 } = options;
  const fetcher = options.fetcher ?? ((input, init) => fetch(input, init));
  let retry = options.retryMs ?? 2000;
  let failures = 0;
  let lastId: string | undefined;
  let stopped = false;
  let controller: AbortController | null = null;
  let reconnect: ReturnType<typeof setTimeout> | undefined;
  let debounce: ReturnType<typeof setTimeout> | undefined;

  const changed = () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      if (!stopped) onChange();
    }, debounceMs);
  };

  const connect = async () => {
    controller = new AbortController();
    try {
      const asked: Record<string, string> = { ...headers(), Accept: "text/event-stream" };
      if (lastId !== undefined) asked["Last-Event-ID"] = lastId;
      const response = await fetcher(url, { headers: asked, signal: controller.signal, cache: "no-store" });
      if (!response.ok || !response.body) throw new Error(`${url}: ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const parsed = parseEvents(buffer + value);
        buffer = parsed.rest;
        for (const event of parsed.events) {
          if (event.event === "ready") onState(true);
          failures = 0; // the stream is up
          if (event.retry !== undefined) retry = event.retry;
          if (event.id !== undefined) lastId = event.id;
          if (event.event === "changed") changed();
        }
      }
    } catch {
      failures++;
    }
    onState(false);
    if (!stopped) reconnect = setTimeout(() => void connect(), Math.min(retry * 2 ** failures, maxRetryMs));
  };

  void connect();
  return () => {
    stopped = true;
    clearTimeout(reconnect);
    clearTimeout(debounce);
    controller?.abort();
  };
}
