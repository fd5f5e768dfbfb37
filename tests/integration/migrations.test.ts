import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createS3Client, headObjectSize } from '../../lib/platform/aws/storage.js';
import { loadConfig } from '../../lib/platform/config.js';
import { migrate } from '../../migrations/migrator.js';
import { createDatabase, dropDatabase } from '../helpers/postgres.js';

const serverUrl = inject('postgresServerUrl');
const created: string[] = [];
const open: Kysely<any>[] = [];

afterAll(async () => {
  await Promise.all(open.map((db) => db.destroy()));
  for (const name of created) await dropDatabase(serverUrl, name);
});

async function freshDatabase(): Promise<Kysely<any>> {
  const name = `kite_migration_${randomUUID().replaceAll('-', '')}`;
  created.push(name);
  const url = await createDatabase(serverUrl, name);
  const db = new Kysely<any>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
  });
  open.push(db);
  return db;
}

const s3 = createS3Client(loadConfig());

async function putObject(key: string, body: string) {
  await (await s3).send(new PutObjectCommand({ Bucket: process.env.S3_BUCKET, Key: key, Body: body }));
}

describe('the multi-user isolation migration', () => {
  it('removes ownerless documents and their objects, reconciles quotas and resets topics', async () => {
    const db = await freshDatabase();
    await migrate(db, '20240101000000-baseline');
    const run = randomUUID();
    const key = (name: string) => `migration-test/${run}/${name}`;

    await sql`insert into users (id) values ('alice'), ('bob')`.execute(db);
    // Drifted usage: alice's counter says 999, bob's says 0.
    await sql`insert into quotas (user_id, limit_bytes, used_bytes) values ('alice', 10000, 999), ('bob', 10000, 0)`.execute(
      db,
    );
    const docs = [
      { owner: 'alice', status: 'uploaded', size: 100, name: 'a1' },
      { owner: 'alice', status: 'classified', size: 50, name: 'a2' },
      { owner: 'alice', status: 'pending', size: null, name: 'a3' },
      { owner: 'bob', status: 'failed', size: 30, name: 'b1' },
      { owner: null, status: 'classified', size: 70, name: 'orphan1' },
      { owner: null, status: 'pending', size: null, name: 'orphan2' },
    ];
    for (const doc of docs) {
      await sql`
        insert into documents (user_id, filename, content_type, size_bytes, storage_key, status)
        values (${doc.owner}, ${doc.name}, 'text/plain', ${doc.size}, ${key(doc.name)}, ${doc.status})`.execute(
        db,
      );
      await putObject(key(doc.name), `bytes of ${doc.name}`);
    }
    await sql`insert into topics (name) values ('Finance'), ('Travel')`.execute(db);
    await sql`
      insert into document_topics (document_id, topic_id, source)
      select d.id, t.id, 'ai' from documents d cross join topics t`.execute(db);

    const result = await migrate(db);

    expect(result.results?.map((r) => r.migrationName)).toContain('20250601000000-multi-user-isolation');
    const remaining = await sql<{
      filename: string;
    }>`select filename from documents order by filename`.execute(db);
    expect(remaining.rows.map((r) => r.filename)).toEqual(['a1', 'a2', 'a3', 'b1']);
    expect(await headObjectSize(key('orphan1'))).toBeUndefined();
    expect(await headObjectSize(key('orphan2'))).toBeUndefined();
    for (const name of ['a1', 'a2', 'a3', 'b1']) expect(await headObjectSize(key(name))).toBeGreaterThan(0);

    const quotas = await sql<{ user_id: string; used_bytes: string }>`
      select user_id, used_bytes from quotas order by user_id`.execute(db);
    expect(quotas.rows.map((q) => [q.user_id, Number(q.used_bytes)])).toEqual([
      ['alice', 150],
      ['bob', 30],
    ]);
    expect((await sql`select * from topics`.execute(db)).rows).toHaveLength(0);
    expect((await sql`select * from document_topics`.execute(db)).rows).toHaveLength(0);

    await expect(
      sql`insert into documents (user_id, filename, content_type, storage_key) values (null, 'x', 'text/plain', ${key('x')})`.execute(
        db,
      ),
    ).rejects.toThrow(/null value/);

    // Topic names are unique per namespace, case-insensitively; NULL is the system namespace.
    await sql`insert into topics (user_id, name) values (null, 'Finance'), ('alice', 'finance'), ('bob', 'FINANCE')`.execute(
      db,
    );
    await expect(
      sql`insert into topics (user_id, name) values ('alice', 'FiNaNcE')`.execute(db),
    ).rejects.toThrow(/unique/);
    await expect(
      sql`insert into topics (user_id, name) values (null, 'FINANCE')`.execute(db),
    ).rejects.toThrow(/unique/);
  });

  it('is a no-op when run again', async () => {
    const db = await freshDatabase();
    await migrate(db);
    await sql`insert into users (id) values ('carol')`.execute(db);
    await sql`insert into quotas (user_id, limit_bytes, used_bytes) values ('carol', 100, 42)`.execute(db);

    const again = await migrate(db);

    expect(again.results).toEqual([]);
    const quota = await sql<{
      used_bytes: string;
    }>`select used_bytes from quotas where user_id = 'carol'`.execute(db);
    expect(Number(quota.rows[0]?.used_bytes)).toBe(42);
  });

  it('runs on an empty database without touching S3', async () => {
    const db = await freshDatabase();
    const saved = process.env.S3_BUCKET;
    delete process.env.S3_BUCKET; // proves no S3 call is needed when there is nothing to delete
    try {
      const result = await migrate(db);
      expect(result.results?.every((r) => r.status === 'Success')).toBe(true);
    } finally {
      process.env.S3_BUCKET = saved;
    }
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public' and table_name not like 'kysely%'
      order by table_name`.execute(db);
    expect(tables.rows.map((t) => t.table_name)).toEqual([
      'api_keys',
      'document_search',
      'document_topic_rejections',
      'document_topics',
      'documents',
      'idempotency_keys',
      'local_models',
      'quotas',
      'topics',
      'upload_tombstones',
      'users',
    ]);
  });
});

describe('the document search migration', () => {
  it('makes every existing document findable by its filename, text left for the reindex', async () => {
    const db = await freshDatabase();
    await migrate(db, '20251127000000-upload-tombstones');
    await sql`insert into users (id) values ('carol')`.execute(db);
    await sql`
      insert into documents (user_id, filename, content_type, size_bytes, storage_key, status) values
        ('carol', 'Tax_return-2023.pdf', 'application/pdf', 10, 'users/carol/a/x.pdf', 'classified'),
        ('carol', 'holiday.png', 'image/png', null, 'users/carol/b/holiday.png', 'pending')`.execute(db);

    await migrate(db);

    const rows = await sql<{ filename: string; content: string; language: string; extractor: number | null }>`
      select d.filename, s.content, s.language, s.extractor from documents d
      join document_search s on s.document_id = d.id and s.user_id = d.user_id
      where s.vector @@ websearch_to_tsquery('simple', 'return or holiday')
      order by d.filename`.execute(db);
    expect(rows.rows).toEqual([
      { filename: 'Tax_return-2023.pdf', content: '', language: 'simple', extractor: null },
      { filename: 'holiday.png', content: '', language: 'simple', extractor: null },
    ]);
  });
});

describe('the trash and edits migration', () => {
  it('gives every existing document version 1 and no deletion time, loses no row, and is a no-op run again', async () => {
    const db = await freshDatabase();
    await migrate(db, '20261201190000-multipart');
    await sql`insert into users (id) values ('dora')`.execute(db);
    await sql`insert into topics (user_id, name) values ('dora', 'Bills')`.execute(db);
    await sql`
      insert into documents (user_id, filename, content_type, size_bytes, storage_key, status) values
        ('dora', 'a.pdf', 'application/pdf', 10, 'users/dora/a/a.pdf', 'classified'),
        ('dora', 'b.png', 'image/png', null, 'users/dora/b/b.png', 'pending')`.execute(db);
    await sql`
      insert into document_topics (document_id, topic_id, source)
      select d.id, t.id, 'ai' from documents d, topics t where d.filename = 'a.pdf'`.execute(db);
    const before = await sql<{ row: string }>`
      select to_jsonb(d)::text as row from documents d order by filename`.execute(db);

    // Up to the migrations of that turn (later ones add columns of their own).
    await migrate(db, '20261204041500-topic-link-times');
    await migrate(db, '20261204041500-topic-link-times');

    const after = await sql<{ filename: string; version: number; deleted_at: Date | null }>`
      select filename, version, deleted_at from documents order by filename`.execute(db);
    expect(after.rows).toEqual([
      { filename: 'a.pdf', version: 1, deleted_at: null },
      { filename: 'b.png', version: 1, deleted_at: null },
    ]);
    // Every column a row had is unchanged.
    const now = await sql<{ row: string }>`
      select (to_jsonb(d) - 'version' - 'deleted_at')::text as row from documents d order by filename`.execute(
      db,
    );
    expect(now.rows).toEqual(before.rows);
    expect(
      (await sql<{ n: number }>`select count(*)::int as n from document_topics`.execute(db)).rows[0]?.n,
    ).toBe(1);
    // Rejections go with their document or topic.
    await sql`
      insert into document_topic_rejections (document_id, topic_id)
      select d.id, t.id from documents d, topics t where d.filename = 'a.pdf'`.execute(db);
    await sql`delete from documents where filename = 'a.pdf'`.execute(db);
    expect(
      (await sql<{ n: number }>`select count(*)::int as n from document_topic_rejections`.execute(db)).rows[0]
        ?.n,
    ).toBe(0);
  });
});

describe('the local models migration', () => {
  it('adds an empty table to an existing database, losing no row, and is a no-op run again', async () => {
    const db = await freshDatabase();
    await migrate(db, '20261204041500-topic-link-times');
    await sql`insert into users (id) values ('erin')`.execute(db);
    await sql`insert into topics (user_id, name) values ('erin', 'Bills')`.execute(db);
    await sql`
      insert into documents (user_id, filename, content_type, size_bytes, storage_key, status) values
        ('erin', 'a.pdf', 'application/pdf', 10, 'users/erin/a/a.pdf', 'classified')`.execute(db);
    await sql`
      insert into document_topics (document_id, topic_id, source)
      select d.id, t.id, 'user' from documents d, topics t`.execute(db);
    const count = async (table: string) =>
      (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db)).rows[0]?.n;

    await migrate(db);
    await migrate(db);

    expect([await count('documents'), await count('document_topics'), await count('topics')]).toEqual([
      1, 1, 1,
    ]);
    expect(await count('local_models')).toBe(0);
    // A model goes with its user.
    await sql`
      insert into local_models (user_id, version, documents, person_fingerprint, model)
      values ('erin', gen_random_uuid(), 1, '0', '{}')`.execute(db);
    await sql`delete from users where id = 'erin'`.execute(db);
    expect(await count('local_models')).toBe(0);
  });
});

describe('the extraction migration', () => {
  it('leaves every existing document unextracted (so `npm run extract -- --all` finds it) and is a no-op run again', async () => {
    const db = await freshDatabase();
    await migrate(db, '20261204041500-topic-link-times');
    await sql`insert into users (id) values ('erin')`.execute(db);
    await sql`
      insert into documents (user_id, filename, content_type, size_bytes, storage_key, status, confirmed_at) values
        ('erin', 'scan.pdf', 'application/pdf', 10, 'users/erin/a/scan.pdf', 'classified', now())`.execute(
      db,
    );

    await migrate(db);
    await migrate(db);

    const rows = await sql<Record<string, unknown>>`
      select text_source, page_count, thumbnail_key, extract_error, extracted_at, status from documents`.execute(
      db,
    );
    expect(rows.rows).toEqual([
      {
        text_source: null,
        page_count: null,
        thumbnail_key: null,
        extract_error: null,
        extracted_at: null,
        status: 'classified',
      },
    ]);
    await expect(sql`update documents set text_source = 'scan'`.execute(db)).rejects.toThrow(
      /text_source_known/,
    );
  });
});
