import type { DocumentRow, QuotaRow, TopicSource } from './db/schema.js';

/** How rows are shown to clients (DESIGN.md "Routes"): camelCase, ISO dates. */

export interface DocumentTopicView {
  id: string;
  name: string;
  scope: 'system' | 'user';
  source: TopicSource;
}

export interface DocumentView {
  id: string;
  filename: string;
  contentType: string;
  sizeBytes: number | null;
  status: DocumentRow['status'];
  topics: DocumentTopicView[];
  createdAt: string;
  confirmedAt: string | null;
  classifiedAt: string | null;
  error: string | null;
}

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);

export function documentView(row: DocumentRow, topics: DocumentTopicView[] = []): DocumentView {
  return {
    id: row.id,
    filename: row.filename,
    contentType: row.content_type,
    sizeBytes: row.size_bytes,
    status: row.status,
    topics,
    createdAt: row.created_at.toISOString(),
    confirmedAt: iso(row.confirmed_at),
    classifiedAt: iso(row.classified_at),
    error: row.error,
  };
}

export function quotaView(quota: Pick<QuotaRow, 'used_bytes' | 'limit_bytes'>) {
  return { usedBytes: quota.used_bytes, limitBytes: quota.limit_bytes };
}
