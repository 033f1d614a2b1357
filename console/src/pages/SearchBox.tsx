/** The header's search box: deals, leads, accounts and contacts whose names hold what is
 * typed (any part: 新城 finds 新城百货有限公司), grouped by kind, each a link to its page. */
import { AutoComplete, Input } from "antd";
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, type Schemas } from "../api/client";
import { navigate } from "../router";
import { pathOf, type Hit } from "../search";

const KINDS = ["deals", "leads", "accounts", "contacts"] as const;

export default function SearchBox() {
  const { t } = useTranslation();
  const [text, setText] = useState("");
  const [found, setFound] = useState<Schemas["SearchResults"] | null>(null);
  const asked = useRef(0);

  useEffect(() => {
    const q = text.trim();
    if (!q) {
      setFound(null);
      return;
    }
    const mine = ++asked.current;
    const timer = setTimeout(() => {
      void api.GET("/registration/search", { params: { query: { q, limit: 5 } } }).then(({ data }) => {
        if (mine === asked.current) setFound(data ?? null); // only the latest question's answer
      });
    }, 200);
    return () => clearTimeout(timer);
  }, [text]);

  const hits = new Map<string, Hit>();
  const options = found
    ? KINDS.filter((kind) => found[kind].length).map((kind) => ({
        label: t(`search.kinds.${kind}`),
        options: found[kind].map((hit) => {
          const key = `${hit.kind}:${hit.id}`;
          hits.set(key, hit);
          return { value: key, label: hit.subtitle ? `${hit.title} · ${hit.subtitle}` : hit.title };
        }),
      }))
    : [];

  return (
    <AutoComplete
      style={{ width: 280 }}
      value={text}
      options={options}
      notFoundContent={found ? t("search.nothing") : null}
      onChange={(value: string) => setText(hits.has(value) ? text : value)}
      onSelect={(value: string) => {
        const hit = hits.get(value);
        if (hit) {
          setText("");
          navigate(pathOf(hit));
        }
      }}
    >
      <Input.Search aria-label={t("search.label")} placeholder={t("search.placeholder")} allowClear />
    </AutoComplete>
  );
}
