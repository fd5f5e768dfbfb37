import type { QuotaRow, ShownDocumentRow, TopicRow, UserRow } from './platform/db/schema.js';
import type { DocumentTopicView, DocumentView, QuotaView, TopicView, UserView } from './response-schemas.js';

export type { DocumentTopicView, DocumentView, TopicView, UserView };

/**
 * How rows are shown to clients (README "API"): camelCase, ISO dates. The types come from the response schemas
 * the OpenAPI document is generated from, so a field added here and not there does not compile.
 */

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

export function quotaView(quota: Pick<QuotaRow, 'used_bytes' | 'limit_bytes'>): QuotaView {
  return { usedBytes: quota.used_bytes, limitBytes: quota.limit_bytes };
}

export function topicView(row: Pick<TopicRow, 'id' | 'user_id' | 'name' | 'description'>): TopicView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    scope: row.user_id === null ? 'system' : 'user',
  };
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
