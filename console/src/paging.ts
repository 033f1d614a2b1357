/** A list page's rows as a route pages them (by a cursor, or by offset with a total), with the
 * failure of the last ask: what Accounts, Contacts, Leads, the deal list, the queue and the
 * pool each kept in state of their own. */
import { useCallback, useEffect, useState } from "react";
import { reason } from "./api/client";

/** One page of a list route's answer. */
export interface ListPage<T> {
  items: T[];
  next_cursor?: string | null;
  total?: number;
}

export interface ListFailure {
  status: number;
  text: string;
}

type Answer<T> = { data?: ListPage<T>; error?: unknown; response: Response };

/** The rows `ask` answers, asked for again whenever `ask` changes (the page memoises it on
 * its filters or page number). A failed ask keeps the rows shown and sets `failure`; `more`
 * appends the next cursor's page. */
export function usePagedList<T>(ask: (cursor: string | null) => Promise<Answer<T>>) {
  const [items, setItems] = useState<T[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [total, setTotal] = useState(0);
  const [failure, setFailure] = useState<ListFailure | null>(null);

  const fetchPage = useCallback(
    async (cursor: string | null) => {
      const { data, error, response } = await ask(cursor);
      if (!data) {
        setFailure({ status: response.status, text: reason(error) });
        return;
      }
      setFailure(null);
      setItems((now) => (cursor && now ? [...now, ...data.items] : data.items));
      setNext(data.next_cursor ?? null);
      setTotal(data.total ?? 0);
    },
    [ask],
  );
  useEffect(() => {
    void fetchPage(null);
  }, [fetchPage]);

  const reload = useCallback(() => fetchPage(null), [fetchPage]);
  const more = useCallback(() => (next ? fetchPage(next) : Promise.resolve()), [fetchPage, next]);
  return { items, setItems, next, more, reload, total, setTotal, failure };
}
