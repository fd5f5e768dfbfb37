import type { DocumentRow, QuotaRow, ShownDocumentRow, TopicRow, TopicSource, UserRow } from './db/schema.js';

/** How rows are shown to clients (README "API"): camelCase, ISO dates. */

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
  sha256: string | null;
  duplicateOf: string | null;
}

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);

export function documentView(row: ShownDocumentRow, topics: DocumentTopicView[] = []): DocumentView {
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
    sha256: row.sha256 ?? null,
    duplicateOf: row.duplicate_of ?? null,
  };
}

export function quotaView(quota: Pick<QuotaRow, 'used_bytes' | 'limit_bytes'>) {
  return { usedBytes: quota.used_bytes, limitBytes: quota.limit_bytes };
}

export interface TopicView {
  id: string;
  name: string;
  description: string | null;
  scope: 'system' | 'user';
}

export function topicView(row: Pick<TopicRow, 'id' | 'user_id' | 'name' | 'description'>): TopicView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    scope: row.user_id === null ? 'system' : 'user',
  };
}

export interface UserView {
  id: string;
  email: string | null;
  role: UserRow['role'];
  aiProvider: string | null;
  aiModel: string | null;
  quota: { usedBytes: number; limitBytes: number };
}

/** The shape GET /api/me answers with; the admin user routes answer with the same. */
export function userView(row: UserRow & Pick<QuotaRow, 'used_bytes' | 'limit_bytes'>): UserView {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    aiProvider: row.ai_provider,
    aiModel: row.ai_model,
    quota: quotaView(row),
  };
}
