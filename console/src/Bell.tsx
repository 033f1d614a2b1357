/** The header's inbox bell: the caller's unread count, kept live by the notifications
 * stream (it carries no data: on each cue the count is asked again). Small on purpose, as it
 * is in the first bundle; the inbox itself is a lazy page. */
import { Badge, Button } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "./api/client";
import { useLive } from "./live";
import { navigate } from "./router";

export default function Bell({ who }: { who: unknown }) {
  const { t } = useTranslation();
  const [unread, setUnread] = useState(0);
  const load = useCallback(async () => {
    const { data } = await api.GET("/notifications/inbox", { params: { query: { limit: 1, unread_only: true } } });
    if (data) setUnread(data.unread);
  }, []);
  useEffect(() => {
    void load();
    // the inbox page marks messages read: it says so, and the count follows at once
    window.addEventListener("crm:inbox-changed", load);
    return () => window.removeEventListener("crm:inbox-changed", load);
  }, [load, who]);
  useLive("notifications", () => void load(), who);
  return (
    <Badge count={unread} size="small" overflowCount={99}>
      <Button
        type="text"
        aria-label={t("inbox.bell", { count: unread })}
        onClick={() => navigate("/notifications")}
        style={{ color: "#fff" }}
        icon={
          <svg viewBox="0 0 24 24" width="18" height="18" fill="currentColor" aria-hidden="true">
            <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z" />
          </svg>
        }
      />
    </Badge>
  );
}
