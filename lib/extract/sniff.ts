/**
 * What a file really is, from its bytes (docs/operations.md "Text from scans and photos"): the declared Content-Type
 * is the client's claim, and a text file named .jpg, or a PDF that is not one, must not crash a stage that hands
 * bytes to pdf.js, a canvas or tesseract. Binary formats by their signature (file-type, the library the field uses);
 * what has none and decodes as UTF-8 without NULs is text.
 */

export type FileKind = 'pdf' | 'image' | 'text' | 'other';

/** Images the extract stage OCRs and thumbnails. */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/tiff', 'image/webp'] as const;

export interface Sniffed {
  kind: FileKind;
  /** The media type the bytes show, when they show one (`text/plain` for text). */
  mime: string | undefined;
}

export function declaredKind(contentType: string): FileKind {
  const type = baseType(contentType);
  if (type === 'application/pdf') return 'pdf';
  if ((IMAGE_TYPES as readonly string[]).includes(type)) return 'image';
  if (type.startsWith('text/')) return 'text';
  return 'other';
}

export function baseType(contentType: string): string {
  return contentType.split(';')[0]?.trim().toLowerCase() ?? '';
}

export async function sniff(bytes: Uint8Array): Promise<Sniffed> {
  const { fileTypeFromBuffer } = await import('file-type');
  const found = await fileTypeFromBuffer(bytes);
  if (found) {
    if (found.mime === 'application/pdf') return { kind: 'pdf', mime: found.mime };
    if ((IMAGE_TYPES as readonly string[]).includes(found.mime)) return { kind: 'image', mime: found.mime };
    return { kind: 'other', mime: found.mime };
  }
  // PDF readers accept a header anywhere in the first KiB; file-type only looks at offset 0.
  if (latin1(bytes.subarray(0, 1024)).includes('%PDF-')) return { kind: 'pdf', mime: 'application/pdf' };
  if (looksLikeText(bytes)) return { kind: 'text', mime: 'text/plain' };
  return { kind: 'other', mime: undefined };
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** UTF-8 (a cut-off last character allowed) with no NUL in the first 64 KiB. */
function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 65_536);
  if (head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: head.length < bytes.length });
    return true;
  } catch {
    return false;
  }
}
