/** Saves a JSON document through the browser's download (a Blob behind an object URL; no data: URL). */
export function downloadJson(fileName: string, value: unknown): void {
  const blob = new Blob([`${JSON.stringify(value, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // Chromium reads the blob once the download starts; give it a moment before letting it go.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A name's date part: 2025-01-31 from an ISO timestamp. */
export function fileDate(iso: string): string {
  return iso.slice(0, 10);
}
