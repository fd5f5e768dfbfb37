import { afterAll, describe, expect, it } from 'vitest';
import { handler as documentsHandler } from '../../functions/documents.js';
import { handler as meHandler } from '../../functions/me.js';
import { handler as notFoundHandler } from '../../functions/not-found.js';
import { closeDb } from '../../lib/platform/db/client.js';
import { call } from '../helpers/api.js';
import { newUser } from '../helpers/users.js';

afterAll(closeDb);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('every answer names its invocation, so a report can be found in the logs', () => {
  it('a success carries x-request-id', async () => {
    const { token } = await newUser({ label: 'rid' });
    const result = await call(meHandler, { path: '/api/me', token });
    expect(result.status).toBe(200);
    expect(result.headers['x-request-id']).toMatch(UUID);
  });

  it('an error body carries the same id as its x-request-id header', async () => {
    const { token } = await newUser({ label: 'rid' });
    for (const result of [
      await call(meHandler, { path: '/api/me', token: null }),
      await call(documentsHandler, { path: '/api/documents', query: { limit: 'lots' }, token }),
      await call(documentsHandler, { method: 'PUT', path: '/api/documents', token }),
      await call(notFoundHandler, { path: '/api/settings' }),
    ]) {
      expect(result.status).toBeGreaterThanOrEqual(400);
      expect(result.body.error.requestId).toMatch(UUID);
      expect(result.headers['x-request-id']).toBe(result.body.error.requestId);
    }
  });
});
