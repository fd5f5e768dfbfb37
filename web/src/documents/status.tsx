import type { Doc } from '../api/api';

const LABELS: Record<Doc['status'], string> = {
  pending: 'Uploading',
  uploaded: 'Filing',
  classified: 'Filed',
  failed: 'Failed',
};

/** An uploaded document is first read (text layer, OCR: textSource still null), then filed. */
function label(doc: Doc): string {
  if (doc.status === 'uploaded' && doc.textSource === null) return 'Reading text';
  return LABELS[doc.status] ?? doc.status;
}

/** Still being worked on: the screen showing it polls until it is filed or failed. */
export function inProgress(doc: Doc): boolean {
  if (doc.status === 'classified' || doc.status === 'failed') return false;
  // An upload never confirmed stays pending until the purge; poll only a recent one.
  return doc.status !== 'pending' || Date.now() - Date.parse(doc.createdAt) < 10 * 60_000;
}

export function Status({ doc }: { doc: Doc }) {
  return (
    <span class={`status status-${doc.status}`} title={doc.error ?? undefined}>
      {label(doc)}
    </span>
  );
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The first page as a small picture, when the extract stage made one; a placeholder of the same size otherwise. */
export function Thumbnail({ doc }: { doc: Doc }) {
  if (doc.thumbnailUrl)
    return <img class="thumb" src={doc.thumbnailUrl} alt="" loading="lazy" width={64} height={84} />;
  const kind =
    doc.contentType === 'application/pdf' ? 'PDF' : (doc.contentType.split('/')[0] ?? 'file').slice(0, 5);
  return (
    <span class="thumb thumb-none" aria-hidden="true">
      {kind}
    </span>
  );
}
