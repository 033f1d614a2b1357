/** On an empty board, in the embedded mode only: offer to load the demo data (the 新城百货
 * story and a few hundred generated deals, recorded by the server through its own APIs).
 * GET /demo answers only where the server offers it, so elsewhere nothing is shown. */
import { Button, Card, Space, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";

export default function DemoOffer({ onLoaded }: { onLoaded: () => void }) {
  const { t } = useTranslation();
  const [offered, setOffered] = useState(false);
  const [loading, setLoading] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    void fetch("/demo")
      .then(async (response) => response.ok && !(await response.json()).loaded)
      .then((offer) => current && setOffered(offer))
      .catch(() => undefined); // no demo to offer
    return () => {
      current = false;
    };
  }, []);

  if (!offered) return null;
  const load = async () => {
    setLoading(true);
    setFailed(null);
    const response = await fetch("/demo", { method: "POST" }).catch(() => null);
    setLoading(false);
    if (response?.ok) {
      setOffered(false);
      onLoaded();
    } else {
      setFailed(response ? `${response.status} ${await response.text()}` : t("board.demo.offline"));
    }
  };
  // a card, not an Alert: an offer is no alert, and role="alert" belongs to the board's refusals
  return (
    <Card size="small" style={{ marginBottom: 12, background: "#e6f4ff" }}>
      <Space wrap>
        <Typography.Text>{t("board.demo.offer")}</Typography.Text>
        <Button type="primary" loading={loading} onClick={() => void load()}>
          {loading ? t("board.demo.loading") : t("board.demo.load")}
        </Button>
        {failed && <Typography.Text type="danger">{t("board.demo.failed", { reason: failed })}</Typography.Text>}
      </Space>
    </Card>
  );
}
