import { afterEach, describe, expect, it, vi } from "vitest";
import { parseEvents, subscribe } from "../sse";

describe("parseEvents", () => {
  it("reads complete events, skips comments and keeps what is still arriving", () => {
    const { events, rest } = parseEvents(
      'retry: 2000\nevent: ready\nid: 3\ndata: {"position": 3}\n\n: keep-alive\n\nevent: changed\r\nid: 4\r\ndata: a\r\ndata: b\r\n\r\nevent: chan',
    );
    expect(events).toEqual([
      { event: "ready", id: "3", data: '{"position": 3}', retry: 2000 },
      { event: "changed", id: "4", data: "a\nb" },
    ]);
    expect(rest).toBe("event: chan");
  });
});

/** A fetch answering each call with the next script: the chunks of a stream that then ends, or a status. */
function scripted(answers: Array<string[] | number>) {
  const calls: Array<Record<string, string>> = [];
  const fetcher = vi.fn(async (_url: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ ...(init?.headers as Record<string, string>) });
    const answer = answers.shift() ?? [];
    if (typeof answer === "number") return new Response("{}", { status: answer });
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of answer) controller.enqueue(encoder.encode(chunk));
        controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
  });
  return { fetcher: fetcher as unknown as typeof fetch, calls };
}

describe("subscribe", () => {
  afterEach(() => vi.useRealTimers());

  it("calls back once for a burst of changes, after the quiet, with the caller's headers", async () => {
    vi.useFakeTimers();
    const { fetcher, calls } = scripted([
      ["retry: 60000\nevent: ready\nid: 1\ndata: {}\n\n", "event: changed\nid: 2\ndata: {}\n\nevent: chan", "ged\nid: 3\ndata: {}\n\n"],
    ]);
    const onChange = vi.fn();
    const stop = subscribe({ url: "/pipeline/live", headers: () => ({ "X-User-Id": "rep-1" }), onChange, fetcher });
    await vi.advanceTimersByTimeAsync(100);
    expect(onChange).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(100);
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(calls[0]).toEqual({ "X-User-Id": "rep-1", Accept: "text/event-stream" });
    stop();
  });

  it("reconnects after the stream ends with the last id it had, and backs off on refusals", async () => {
    vi.useFakeTimers();
    const { fetcher, calls } = scripted([["event: ready\nid: 7\ndata: {}\n\n"], 503, ["event: ready\nid: 8\ndata: {}\n\n"]]);
    const stop = subscribe({ url: "/registration/live", headers: () => ({}), onChange: () => {}, fetcher, retryMs: 1000 });
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(2);
    expect(calls[1]["Last-Event-ID"]).toBe("7");
    await vi.advanceTimersByTimeAsync(1000); // the 503: the pause doubled
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(3);
    stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(3); // stopped: no more reconnecting
  });
});
