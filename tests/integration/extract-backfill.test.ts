import { afterAll, expect, it, vi } from 'vitest';
import { handler as classifyHandler } from '../../functions/classify.js';
import { backfillExtraction } from '../../lib/extract/backfill.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { lambdaContext } from '../helpers/api.js';
import { renderPage, scannedPdf } from '../helpers/scans.js';
import { sqsEvent, sqsRecord } from '../helpers/sqs-events.js';
import { confirm, putBytes, requestUpload } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';

// `npm run extract -- --all` (docs/operations.md "Backfill"): documents filed before the extract stage existed get
// their OCR text and thumbnails, in batches, and a stopped run carries on where it stopped.
await vi.hoisted(async () => (await import('../helpers/fake-llm.js')).useFakeLlm());

afterAll(closeDb);

/** A document as kite filed it before the extract stage: classified from its text layer, no OCR, no thumbnail. */
async function filedBeforeExtraction(
  token: string,
  bytes: Uint8Array,
  filename: string,
  contentType: string,
) {
  const ticket = await requestUpload(token, { filename, contentType, size: bytes.length });
  await putBytes(ticket, bytes);
  expect((await confirm(token, ticket.document.id)).status).toBe(200);
  await classifyHandler(sqsEvent(sqsRecord({ body: { documentId: ticket.document.id } })), lambdaContext());
  return ticket.document.id;
}

async function state(id: string) {
  return db()
    .selectFrom('documents as d')
    .leftJoin('document_search as s', 's.document_id', 'd.id')
    .select(['d.status', 'd.text_source', 'd.page_count', 'd.thumbnail_key', 's.content'])
    .where('d.id', '=', id)
    .executeTakeFirstOrThrow();
}

it('gives existing scans their text and thumbnails in batches, and resumes after a stop', async () => {
  // Scoped to this file's user: other files share the database.
  const { token, userId } = await newUser({ label: 'backfill' });
  const scans = [];
  for (const word of ['Aardvark', 'Bumblebee', 'Chinchilla']) {
    scans.push(
      await filedBeforeExtraction(
        token,
        scannedPdf([renderPage([`Animal report: ${word}`])]),
        `${word}.pdf`,
        'application/pdf',
      ),
    );
  }
  for (const id of scans)
    expect(await state(id)).toMatchObject({ status: 'classified', text_source: null, content: '' });

  const stop = new AbortController();
  const first = await backfillExtraction({
    userId,
    batchSize: 2,
    signal: stop.signal,
    onDocument: (progress) => {
      if (progress.extracted === 1) stop.abort();
    },
  });
  expect(first.interrupted).toBe(true);
  const second = await backfillExtraction({ userId, batchSize: 2 });
  expect(second.interrupted).toBe(false);

  for (const [index, word] of ['Aardvark', 'Bumblebee', 'Chinchilla'].entries()) {
    const row = await state(scans[index] as string);
    expect(row).toMatchObject({ status: 'classified', text_source: 'ocr', page_count: 1 });
    expect(row.content).toContain(`Animal report: ${word}`);
    expect(row.thumbnail_key).toMatch(/\.thumbnail\.webp$/);
  }
  // Nothing left: a third run reads nothing again.
  expect((await backfillExtraction({ userId })).extracted).toBe(0);
}, 180_000);
