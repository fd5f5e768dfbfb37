import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type Role = 'user' | 'admin';
export type DocumentStatus = 'pending' | 'uploaded' | 'classified' | 'failed';
export type TopicSource = 'ai' | 'user';
export type TextSource = 'text' | 'ocr' | 'none';

export interface UsersTable {
  id: string;
  email: string | null;
  role: Role;
  ai_provider: string | null;
  ai_model: string | null;
  created_at: Generated<Date>;
}
export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;

export interface QuotasTable {
  user_id: string;
  limit_bytes: number;
  used_bytes: Generated<number>;
}
export type QuotaRow = Selectable<QuotasTable>;

export interface DocumentsTable {
  id: string;
  user_id: string;
  filename: string;
  content_type: string;
  size_bytes: number | null;
  storage_key: string;
  status: Generated<DocumentStatus>;
  error: string | null;
  created_at: Generated<Date>;
  confirmed_at: NullableTimestamp;
  classified_at: NullableTimestamp;
  /** kite's SHA-256 of the stored bytes, lowercase hex; null until the classify worker has hashed them. */
  sha256: ColumnType<string | null, string | null | undefined, string | null>;
  /** The size the client declared when it asked to upload (docs/api.md "Large files"). */
  declared_bytes: number | null;
  /** Set only for multipart uploads: every part but the last has exactly this many bytes. */
  part_bytes: number | null;
  /** The S3 multipart upload id, bound on the first signing. */
  upload_id: string | null;
  /** The last multipart signing (null before): the purge expires by it, or by created_at when null. */
  last_activity_at: NullableTimestamp;
  /** +1 on every change a person makes (PATCH, trash, restore, bulk edits); sent as the ETag. */
  version: Generated<number>;
  /** When it was moved to the trash; null while it is not in the trash. */
  deleted_at: NullableTimestamp;
  /** Where its text came from (docs/api.md "Text from scans and photos (OCR) and previews"); null until the extract stage ran. */
  text_source: ColumnType<TextSource | null, TextSource | null | undefined, TextSource | null>;
  page_count: ColumnType<number | null, number | null | undefined, number | null>;
  /** Its WebP thumbnail's key, under the document's own prefix; null when there is none. */
  thumbnail_key: ColumnType<string | null, string | null | undefined, string | null>;
  /** What the extract stage could not do (unreadable file, pages left without OCR); null when it did it all. */
  extract_error: ColumnType<string | null, string | null | undefined, string | null>;
  extracted_at: NullableTimestamp;
}
export type DocumentRow = Selectable<DocumentsTable>;
/** A document as the queries that show it select it: with its computed `duplicate_of` (lib/documents/documents.queries.ts). */
export type ShownDocumentRow = DocumentRow & { duplicate_of?: string | null };

/** What each processing stage (extract, classify) reads of the stored document it works on, in camelCase. */
export interface StageDocument {
  id: string;
  userId: string;
  filename: string;
  contentType: string;
  sizeBytes: number | null;
  storageKey: string;
  status: DocumentStatus;
  sha256: string | null;
  /** Null until the extract stage has run. */
  textSource: TextSource | null;
}
export type NewDocument = Insertable<DocumentsTable>;

export interface TopicsTable {
  id: Generated<string>;
  user_id: string | null;
  name: string;
  description: string | null;
  created_at: Timestamp;
}
export type TopicRow = Selectable<TopicsTable>;
export type NewTopic = Insertable<TopicsTable>;

export interface DocumentTopicsTable {
  document_id: string;
  topic_id: string;
  source: TopicSource;
  /** When the topic was put on the document. */
  created_at: Generated<Date>;
}

/** A topic a person took off a document: classification never attaches it to that document again. */
export interface DocumentTopicRejectionsTable {
  document_id: string;
  topic_id: string;
  created_at: Generated<Date>;
}

/** Keys of deleted documents whose upload URL was still valid; the purge deletes them after `delete_after`. */
export interface UploadTombstonesTable {
  storage_key: string;
  delete_after: Date;
  /** The key was a multipart upload's: the purge also aborts unfinished uploads under it. */
  multipart: Generated<boolean>;
}

/** A request's Idempotency-Key and the document its first use created (docs/api.md "Duplicates and retried requests"). */
export interface IdempotencyKeysTable {
  user_id: string;
  key: string;
  /** SHA-256 of the route and the validated body: the same key with another body is a conflict. */
  fingerprint: string;
  document_id: string;
  created_at: Generated<Date>;
}

/** One per document (docs/api.md "Search"): its extracted text and the tsvector over filename + text. */
export interface DocumentSearchTable {
  document_id: string;
  user_id: string;
  content: Generated<string>;
  vector: string;
  /** The text search configuration `vector` was built in. */
  language: string;
  /** The extractor version that produced `content`; null until the text was extracted. */
  extractor: number | null;
  updated_at: Generated<Date>;
}

/** An API key (docs/api.md "API keys"): never the secret, only its SHA-256 and first 8 characters. */
export interface ApiKeysTable {
  id: Generated<string>;
  user_id: string;
  name: string;
  scopes: string[];
  prefix: string;
  secret_sha256: Buffer;
  created_at: Generated<Date>;
  expires_at: Date | null;
  last_used_at: Date | null;
}
export type ApiKeyRow = Selectable<ApiKeysTable>;

/** The local provider's model of one user (docs/operations.md "Filing without an LLM"). */
export interface LocalModelsTable {
  user_id: string;
  /** New at every training: a warm function keeps the parsed model while this stays the same. */
  version: string;
  /** Training documents it learnt from. */
  documents: number;
  /** Of the topics a person set (and took off) on those documents: a change retrains. */
  person_fingerprint: string;
  /** The model as JSON (lib/classify/local/model.ts serialise). */
  model: string;
  trained_at: Generated<Date>;
}

export interface Database {
  users: UsersTable;
  quotas: QuotasTable;
  documents: DocumentsTable;
  topics: TopicsTable;
  document_topics: DocumentTopicsTable;
  document_topic_rejections: DocumentTopicRejectionsTable;
  upload_tombstones: UploadTombstonesTable;
  idempotency_keys: IdempotencyKeysTable;
  document_search: DocumentSearchTable;
  api_keys: ApiKeysTable;
  local_models: LocalModelsTable;
}
