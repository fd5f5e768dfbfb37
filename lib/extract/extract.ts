import { getObjectBytes } from '../platform/aws/storage.js';
import { extractText, textBytesNeeded, textSource } from './text.js';

export interface StoredFile {
  storageKey: string;
  contentType: string;
  sizeBytes: number | null;
}

/**
 * A stored file's text, at most `maxChars` characters: only what the extractor can use is read (a text prefix by
 * ranged GET, a whole PDF, nothing for other types). undefined when the object is missing; S3 errors propagate.
 */
export async function readDocumentText(file: StoredFile, maxChars: number): Promise<string | undefined> {
  const source = textSource(file.contentType);
  if (source === 'none') return '';
  const needed = source === 'text' ? textBytesNeeded(maxChars) : undefined;
  const ranged = needed !== undefined && (file.sizeBytes ?? Number.POSITIVE_INFINITY) > needed;
  const bytes = await getObjectBytes(file.storageKey, ranged ? needed : undefined);
  if (!bytes) return undefined;
  return extractText(bytes, source, maxChars);
}
