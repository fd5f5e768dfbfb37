import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as classifyHandler } from '../../functions/classify.js';
import { handler as documentsHandler } from '../../functions/documents.js';
import { handler as extractHandler } from '../../functions/extract.js';
import { handler as searchHandler } from '../../functions/search.js';
import { terminateOcr } from '../../lib/extract/ocr.js';
import { headObjectSize } from '../../lib/platform/aws/storage.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { call, lambdaContext } from '../helpers/api.js';
import { buildPdf } from '../helpers/pdf.js';
import { awaitClassifyMessage } from '../helpers/queue.js';
import { renderPage, scannedPdf } from '../helpers/scans.js';
import { sqsEvent, sqsRecord } from '../helpers/sqs-events.js';
import { confirm, putBytes, requestUpload } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';

// The extract stage end to end (docs/operations.md "Text from scans and photos"), on scans made in code: confirm →
// extract (OCR, thumbnail) → classify, with a fake model that records its prompts.
const fake = await vi.hoisted(async () => (await import('../helpers/fake-llm.js')).useFakeLlm());

afterAll(async () => {
  await terminateOcr();
  await closeDb();
});

beforeEach(() => fake.reset());

function extract(documentId: string, receiveCount = 1) {
  return extractHandler(
    sqsEvent(sqsRecord({ body: { documentId }, receiveCount })),
    lambdaContext('kite-test-extract', 600_000),
  );
}

function classify(documentId: string) {
  return classifyHandler(sqsEvent(sqsRecord({ body: { documentId } })), lambdaContext('kite-test-classify'));
}

async function upload(
  token: string,
  bytes: Uint8Array,
  filename: string,
  contentType: string,
): Promise<string> {
  const ticket = await requestUpload(token, { filename, contentType, size: bytes.length });
  await putBytes(ticket, bytes);
  expect((await confirm(token, ticket.document.id)).status).toBe(200);
  expect(await awaitClassifyMessage(ticket.document.id, 'extract')).toEqual({
    documentId: ticket.document.id,
  });
  return ticket.document.id;
}

async function getDocument(token: string, id: string) {
  const result = await call(documentsHandler, { method: 'GET', path: `/api/documents/${id}`, token });
  expect(result.status).toBe(200);
  return result.body;
}

const LETTER = [
  'Finanzamt Koeln Mitte',
  'Notice of assessment for the year 2025',
  'Your income tax refund amounts to 1,284.50 EUR',
];

describe('the extract stage', () => {
  it('makes a scanned letter findable by a word in its body and puts its text in the model prompt', async () => {
    const { token, userId } = await newUser({ label: 'extract' });
    const pdf = scannedPdf([
      renderPage(LETTER),
      renderPage(['Page two: the calculation', 'Taxable income 48,210 EUR']),
      renderPage(['Page three: how to appeal', 'Write to the Bundeszentralamt within one month']),
    ]);
    const id = await upload(token, pdf, 'scan_0042.pdf', 'application/pdf');

    expect(await extract(id)).toEqual({ batchItemFailures: [] });
    expect(await awaitClassifyMessage(id)).toEqual({ documentId: id });

    const shown = await getDocument(token, id);
    expect(shown.document).toMatchObject({
      status: 'uploaded',
      textSource: 'ocr',
      pageCount: 3,
      error: null,
    });
    expect(shown.document.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(shown.document.thumbnailUrl).toContain('.thumbnail.webp');
    const thumbnail = await fetch(shown.document.thumbnailUrl);
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('content-type')).toBe('image/webp');
    expect(
      Buffer.from(await thumbnail.arrayBuffer())
        .subarray(8, 12)
        .toString('latin1'),
    ).toBe('WEBP');

    const found = await call(searchHandler, { path: '/api/search', query: { q: 'Bundeszentralamt' }, token });
    expect(found.body.results.map((hit: { document: { id: string } }) => hit.document.id)).toEqual([id]);
    expect(found.body.results[0].document.thumbnailUrl).toContain('.thumbnail.webp');
    const listed = await call(documentsHandler, { path: '/api/documents', token });
    expect(listed.body.documents[0]).toMatchObject({ id, textSource: 'ocr', pageCount: 3 });
    expect(listed.body.documents[0].thumbnailUrl).toContain('.thumbnail.webp');

    expect(await classify(id)).toEqual({ batchItemFailures: [] });
    const prompt =
      fake.requests
        .at(-1)
        ?.messages.map((message) => message.content)
        .join('\n') ?? '';
    expect(prompt).toContain('income tax refund amounts to 1,284.50 EUR');
    expect(prompt).toContain('Taxable income 48,210 EUR');

    // Deleted for good: the thumbnail goes with the file, and nothing was counted for it.
    const key = (
      await db().selectFrom('documents').select('thumbnail_key').where('id', '=', id).executeTakeFirst()
    )?.thumbnail_key;
    expect(await headObjectSize(key ?? '')).toBeGreaterThan(0);
    const quota = await db()
      .selectFrom('quotas')
      .select('used_bytes')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    expect(Number(quota?.used_bytes)).toBe(pdf.length);
    const deleted = await call(documentsHandler, {
      method: 'DELETE',
      path: `/api/documents/${id}`,
      query: { permanent: 'true' },
      token,
    });
    expect(deleted.status).toBe(204);
    expect(await headObjectSize(key ?? '')).toBeUndefined();
  }, 180_000);

  it('gives a damaged PDF and a "JPEG" that is text no text and a readable error, and the queue moves on', async () => {
    const { token } = await newUser({ label: 'extract' });
    const corrupt = await upload(
      token,
      buildPdf([['Hello']]).subarray(0, 300),
      'broken.pdf',
      'application/pdf',
    );
    const fakeJpeg = await upload(
      token,
      new TextEncoder().encode('not a photo, only words'),
      'IMG_0001.jpg',
      'image/jpeg',
    );

    for (const id of [corrupt, fakeJpeg]) {
      expect(await extract(id)).toEqual({ batchItemFailures: [] });
      expect(await awaitClassifyMessage(id)).toEqual({ documentId: id });
      expect(await classify(id)).toEqual({ batchItemFailures: [] });
    }

    expect((await getDocument(token, corrupt)).document).toMatchObject({
      status: 'classified',
      textSource: 'none',
      thumbnailUrl: null,
      error: 'The file could not be read as a PDF (it is damaged or not a PDF)',
    });
    expect((await getDocument(token, fakeJpeg)).document).toMatchObject({
      status: 'classified',
      textSource: 'none',
      error: 'The file is not image/jpeg: its bytes look like text',
    });
  }, 120_000);

  it('a redelivered message does not read the file again, and reclassifying does not extract again', async () => {
    const { token } = await newUser({ label: 'extract' });
    const id = await upload(
      token,
      new TextEncoder().encode('Lease renewal for the zeppelin hangar'),
      'a.txt',
      'text/plain',
    );
    expect(await extract(id)).toEqual({ batchItemFailures: [] });
    const first = await db()
      .selectFrom('documents')
      .select('extracted_at')
      .where('id', '=', id)
      .executeTakeFirst();

    expect(await extract(id)).toEqual({ batchItemFailures: [] });
    const again = await db()
      .selectFrom('documents')
      .select('extracted_at')
      .where('id', '=', id)
      .executeTakeFirst();
    expect(again?.extracted_at).toEqual(first?.extracted_at);

    expect(await classify(id)).toEqual({ batchItemFailures: [] });
    const reprocess = await call(documentsHandler, {
      method: 'POST',
      path: `/api/documents/${id}/classify`,
      token,
    });
    expect(reprocess.status).toBe(202);
    expect(await awaitClassifyMessage(id)).toEqual({ documentId: id });
  }, 60_000);

  it('previews PDFs, images and text inline from the bucket, with the type kite chose', async () => {
    const { token } = await newUser({ label: 'extract' });
    const id = await upload(
      token,
      new TextEncoder().encode('<script>alert(1)</script>'),
      'x.txt',
      'text/plain',
    );

    const shown = await getDocument(token, id);
    const preview = await fetch(shown.previewUrl);

    expect(preview.status).toBe(200);
    expect(preview.headers.get('content-disposition')).toMatch(/^inline; filename="x.txt"/);
    expect(preview.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(shown.downloadUrl).not.toBe(shown.previewUrl);

    const csv = await upload(token, new TextEncoder().encode('a,b'), 'x.csv', 'text/csv');
    expect((await getDocument(token, csv)).previewUrl).toBeNull();
  }, 60_000);
});
