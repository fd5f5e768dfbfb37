import AwsS3 from '@uppy/aws-s3';
import type Uppy from '@uppy/core';
import { ApiProblem, api, call, type Doc } from '../api/api';

// docs/api.md "In a browser: Uppy": the same glue as the documented block (tests/browser/uppy.test.ts drives that
// one), typed, through the generated client, and with the content's SHA-256 sent along so that a file kite already
// holds is reported as already stored instead of being uploaded twice (docs/api.md "Duplicates and retried requests").

const PART = 16 * 2 ** 20;
/** Hashing reads the whole file into memory: larger files go up unhashed (kite still finds the duplicate later). */
const HASH_UP_TO = 256 * 2 ** 20;
const cut = (size: number) => Math.max(PART, Math.ceil(size / 1e4 / 2 ** 20) * 2 ** 20); // ≤ 10,000 parts
const OPERATION = { PUT: 'uploadPart', GET: 'listParts', POST: 'complete', DELETE: 'abort' } as const;
const documentId = (key: string) => key.split('/')[2] ?? ''; // users/<user>/<document id>/<name>

export interface AlreadyStored {
  name: string;
  documentId: string;
  trashed: boolean;
}

async function sha256(file: Blob): Promise<string | undefined> {
  if (file.size > HASH_UP_TO || !crypto.subtle) return undefined;
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function connectKite(
  uppy: Uppy,
  events: { alreadyStored: (found: AlreadyStored) => void; confirmed: (doc: Doc) => void },
): void {
  const duplicate = (name: string, error: unknown): never => {
    if (error instanceof ApiProblem && error.code === 'duplicate') {
      const details = (error.details ?? {}) as { documentId?: string; trashed?: boolean };
      events.alreadyStored({ name, documentId: details.documentId ?? '', trashed: !!details.trashed });
      throw new Error(details.trashed ? 'Already stored (in the trash)' : 'Already stored');
    }
    throw error;
  };

  uppy.use(AwsS3, {
    shouldUseMultipart: (file) => (file.size ?? 0) > cut(file.size ?? 0),
    getChunkSize: (file) => cut(file.size), // kite signs each part's exact length: cut the same parts
    generateObjectKey: (file) => file.id, // only the first request carries it; kite answers the real key
    async signRequest(request) {
      const { method, key } = request;
      if ('uploadId' in request) {
        const operation = OPERATION[method];
        const partNumber = 'partNumber' in request ? request.partNumber : undefined;
        const body = {
          uploadId: request.uploadId,
          operation,
          ...(partNumber ? { partNumbers: [partNumber] } : {}),
        };
        const signed = await call(
          api.POST('/api/documents/{id}/multipart/sign', { params: { path: { id: documentId(key) } }, body }),
        );
        return { url: signed.requests[0]?.url ?? '' }; // no Content-Length: the browser sends the real one
      }
      const file = uppy.getFile(key);
      const filename = file.name ?? 'upload';
      const contentType = file.type || 'application/octet-stream';
      const size = file.size ?? 0;
      const hash = await sha256(file.data as Blob);
      const checked = hash ? { sha256: hash } : {};
      if (method === 'PUT') {
        const { upload } = await call(
          api.POST('/api/documents/upload-url', { body: { filename, contentType, size, ...checked } }),
        ).catch((error: unknown) => duplicate(filename, error));
        return { url: upload.url, key: upload.key, headers: { 'Content-Type': contentType } };
      }
      const { upload } = await call(
        api.POST('/api/documents/multipart', {
          body: { filename, contentType, size, partSize: cut(size), ...checked },
        }),
      ).catch((error: unknown) => duplicate(filename, error));
      return { url: upload.create.url, key: upload.key, headers: upload.create.headers };
    },
  });

  uppy.on('upload-success', (_file, response) => {
    const key = (response?.body as { key?: string } | undefined)?.key ?? '';
    call(api.POST('/api/documents/{id}/confirm', { params: { path: { id: documentId(key) } } })).then(
      ({ document }) => events.confirmed(document as Doc),
      (error: unknown) => uppy.info(error instanceof Error ? error.message : String(error), 'error', 10_000),
    );
  });
}
