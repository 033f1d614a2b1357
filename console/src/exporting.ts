/** Exports: a list or report asked for with `format=csv|xlsx` comes back as a file; the
 * browser saves it under the name the answer's Content-Disposition gives. (A plain link
 * cannot carry the caller's identity headers, so the file is fetched, then saved.) */

export type FileFormat = "csv" | "xlsx";

/** The file name a Content-Disposition header gives, or `fallback`. */
export function fileName(disposition: string | null, fallback: string): string {
  const found = disposition ? /filename="?([^";]+)"?/i.exec(disposition) : null;
  return found ? found[1] : fallback;
}

export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
