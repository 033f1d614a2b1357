/** "CSV" and "XLSX" beside a list or a report: the same filters, the caller's reach, as a file. */
import { App, Button, Space } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { reason } from "../api/client";
import { fileName, saveBlob, type FileFormat } from "../exporting";

/** What `fetchFile` gives back: openapi-fetch's answer asked with `parseAs: "blob"`. */
export interface FileAnswer {
  data?: unknown;
  error?: unknown;
  response: Response;
}

export default function ExportButtons({ fetchFile, name }: { fetchFile: (format: FileFormat) => Promise<FileAnswer>; name: string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [busy, setBusy] = useState<FileFormat | null>(null);

  const run = async (format: FileFormat) => {
    setBusy(format);
    try {
      const { data, error, response } = await fetchFile(format);
      if (data instanceof Blob) saveBlob(data, fileName(response.headers.get("content-disposition"), `${name}.${format}`));
      else message.error(t("export.failed", { reason: reason(error) }));
    } finally {
      setBusy(null);
    }
  };

  return (
    <Space>
      {(["csv", "xlsx"] as const).map((format) => (
        <Button key={format} loading={busy === format} onClick={() => void run(format)} aria-label={t("export.as", { format: format.toUpperCase() })}>
          {format.toUpperCase()}
        </Button>
      ))}
    </Space>
  );
}
