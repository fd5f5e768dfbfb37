import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { handler as documentsHandler } from '../../functions/documents.js';
import { closeDb } from '../../lib/platform/db/client.js';
import { call } from '../helpers/api.js';
import { confirm, putObjectDirectly, requestUpload } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';

// URLs that expire after a second; only S3 can enforce them.
await vi.hoisted(async () =>
  (await import('../helpers/env.js')).configure({
    UPLOAD_URL_TTL_SECONDS: '1',
    DOWNLOAD_URL_TTL_SECONDS: '1',
  }),
);

afterAll(closeDb);

/** Until the URL's signing time plus its lifetime has passed for certain (X-Amz-Date has whole seconds). */
async function waitUntilExpired(url: string): Promise<void> {
  const params = new URL(url).searchParams;
  const date = (params.get('X-Amz-Date') ?? '').replace(
    /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/,
    '$1-$2-$3T$4:$5:$6Z',
  );
  const expiresAt = Date.parse(date) + Number(params.get('X-Amz-Expires')) * 1000;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 1500));
}

describe.runIf(inject('testS3') === 'radosgw')('an expired presigned URL', () => {
  it('PUT → refused by S3, and confirm finds nothing', async () => {
    const { token } = await newUser({ label: 'expiry' });
    const ticket = await requestUpload(token, { size: 5 });
    await waitUntilExpired(ticket.upload.url);

    const response = await fetch(ticket.upload.url, {
      method: 'PUT',
      headers: { 'Content-Type': 'text/plain' },
      body: 'hello',
    });

    expect(response.status).toBe(403);
    expect(await response.text()).toContain('AccessDenied');
    expect((await confirm(token, ticket.document.id)).body.error.code).toBe('upload_missing');
  });

  it('GET → refused by S3', async () => {
    const { token } = await newUser({ label: 'expiry' });
    const ticket = await requestUpload(token, { size: 5 });
    await putObjectDirectly(ticket.document.id, new TextEncoder().encode('hello'));
    expect((await confirm(token, ticket.document.id)).status).toBe(200);
    const document = await call(documentsHandler, {
      method: 'GET',
      path: `/api/documents/${ticket.document.id}`,
      token,
    });
    await waitUntilExpired(document.body.downloadUrl);

    const response = await fetch(document.body.downloadUrl);

    expect(response.status).toBe(403);
  });
});
