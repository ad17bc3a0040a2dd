// Saves text as a file download, or opens a printable page (the report exports).
export function downloadText(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Opens the HTML in a new tab and starts printing it (blocked pop-ups: falls back to a download). */
export function openPrintable(html: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
  const w = window.open(url, '_blank');
  if (!w) {
    downloadText(html, fileName, 'text/html');
    return;
  }
  w.addEventListener('load', () => w.print(), { once: true });
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
