/** The files on one activity of the deal page: thumbnails for images, a download link for
 * each, and (for whoever may work the deal) an upload button. The API wants the identity
 * headers on every request, which an <img src> or <a href> cannot send: thumbnails and
 * downloads are fetched here and handed to the browser as object URLs. */
import { Alert, Button, Image, Space, Typography, Upload } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { reason, requestHeaders, type Schemas } from "../api/client";
import { fileSize } from "../format";

type Attachment = Schemas["Attachment"];

/** The route of one file (or its thumbnail) of an activity. */
export function attachmentUrl(dealId: string, attachment: Attachment, thumbnail = false): string {
  const base = `/pipeline/deals/${dealId}/activities/${attachment.activity_id}/attachments/${attachment.attachment_id}`;
  return thumbnail ? `${base}/thumbnail` : base;
}

async function fetchBlob(url: string): Promise<Blob> {
  const response = await fetch(url, { headers: requestHeaders() });
  if (!response.ok) throw new Error(reason(await response.json().catch(() => response.statusText)));
  return response.blob();
}

function Thumbnail({ dealId, attachment }: { dealId: string; attachment: Attachment }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let url: string | null = null;
    let live = true;
    fetchBlob(attachmentUrl(dealId, attachment, true))
      .then((blob) => {
        url = URL.createObjectURL(blob);
        if (live) setSrc(url);
      })
      .catch(() => setSrc(null));
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [dealId, attachment]);
  return src ? <Image src={src} alt={attachment.name} width={64} height={64} style={{ objectFit: "cover" }} preview={false} /> : null;
}

export default function ActivityFiles({
  dealId,
  activityId,
  attachments,
  canAttach,
  onAttached,
}: {
  dealId: string;
  activityId: string;
  attachments: Attachment[];
  canAttach: boolean;
  onAttached: () => Promise<void> | void;
}) {
  const { t } = useTranslation();
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const download = async (attachment: Attachment) => {
    setProblem(null);
    try {
      const url = URL.createObjectURL(await fetchBlob(attachmentUrl(dealId, attachment)));
      const link = document.createElement("a");
      link.href = url;
      link.download = attachment.name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      setProblem(t("files.downloadFailed", { reason: (error as Error).message }));
    }
  };

  const upload = async (file: File) => {
    setProblem(null);
    setBusy(true);
    const form = new FormData();
    form.append("file", file, file.name);
    try {
      const response = await fetch(`/pipeline/deals/${dealId}/activities/${activityId}/attachments`, {
        method: "POST",
        headers: requestHeaders(),
        body: form,
      });
      if (!response.ok) {
        const body = await response.json().catch(() => response.statusText);
        setProblem(t("files.uploadFailed", { name: file.name, reason: reason(body) }));
        return;
      }
      await onAttached();
    } finally {
      setBusy(false);
    }
  };

  if (!attachments.length && !canAttach) return null;
  return (
    <div data-testid={`files-${activityId}`} style={{ marginTop: 4 }}>
      <Space wrap size="small" align="center">
        {attachments.map((attachment) => (
          <Space key={attachment.attachment_id} size={4} align="center">
            {attachment.thumbnail_sha256 && <Thumbnail dealId={dealId} attachment={attachment} />}
            <Typography.Link onClick={() => void download(attachment)} title={t("files.download")}>
              {attachment.name}
            </Typography.Link>
            <Typography.Text type="secondary">({fileSize(attachment.size)})</Typography.Text>
          </Space>
        ))}
        {canAttach && (
          <Upload
            showUploadList={false}
            accept=".jpg,.jpeg,.png,.webp,.gif,.pdf,.docx,.xlsx,.pptx,.doc,.xls,.txt,.csv"
            beforeUpload={(file) => {
              void upload(file);
              return false; // sent by `upload`, with the identity headers
            }}
          >
            <Button size="small" loading={busy}>
              {t("files.attach")}
            </Button>
          </Upload>
        )}
      </Space>
      {problem && <Alert type="error" role="alert" showIcon title={problem} style={{ marginTop: 8 }} />}
    </div>
  );
}
