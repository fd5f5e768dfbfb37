import { deflateSync } from 'node:zlib';

/** A page of text lines, or a scan: a JPEG filling a Letter page, with no text layer. */
export type PdfPage = readonly string[] | { jpeg: Uint8Array; width: number; height: number };

/**
 * A small, valid PDF with one page per entry, each line drawn in Helvetica, content streams Flate-compressed as
 * real producers write them. Enough for a text extractor to have real work to do; ASCII text only. A scanned
 * page is its JPEG as an image XObject (DCTDecode), drawn over the whole page, as scanners write them.
 */
export function buildPdf(pages: readonly PdfPage[]): Uint8Array {
  const objects: Buffer[] = [];
  const pageIds = pages.map((_, index) => 4 + index * 2);
  objects[1] = Buffer.from('<< /Type /Catalog /Pages 2 0 R >>');
  objects[2] = Buffer.from(
    `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`,
  );
  objects[3] = Buffer.from(
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
  );
  const images: Buffer[] = [];
  pages.forEach((page, index) => {
    const pageId = pageIds[index] as number;
    if (!Array.isArray(page)) {
      const scan = page as Exclude<PdfPage, readonly string[]>;
      const imageId = 4 + pages.length * 2 + images.length;
      const stream = Buffer.from('q 612 0 0 792 0 0 cm /Im0 Do Q');
      images.push(
        Buffer.concat([
          Buffer.from(
            `<< /Type /XObject /Subtype /Image /Width ${scan.width} /Height ${scan.height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length ${scan.jpeg.length} >>\nstream\n`,
          ),
          Buffer.from(scan.jpeg),
          Buffer.from('\nendstream'),
        ]),
      );
      objects[pageId] = Buffer.from(
        `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 ${imageId} 0 R >> >> /Contents ${pageId + 1} 0 R >>`,
      );
      objects[pageId + 1] = Buffer.concat([
        Buffer.from(`<< /Length ${stream.length} >>\nstream\n`),
        stream,
        Buffer.from('\nendstream'),
      ]);
      return;
    }
    const lines = page as readonly string[];
    const drawn = lines.map((line, row) => `BT /F1 12 Tf 50 ${750 - row * 16} Td (${pdfString(line)}) Tj ET`);
    const stream = deflateSync(Buffer.from(drawn.join('\n')));
    objects[pageId] = Buffer.from(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${pageId + 1} 0 R >>`,
    );
    objects[pageId + 1] = Buffer.concat([
      Buffer.from(`<< /Length ${stream.length} /Filter /FlateDecode >>\nstream\n`),
      stream,
      Buffer.from('\nendstream'),
    ]);
  });

  images.forEach((image, index) => {
    objects[4 + pages.length * 2 + index] = image;
  });

  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const offsets: number[] = [];
  let length = parts[0]?.length ?? 0;
  for (let id = 1; id < objects.length; id++) {
    const chunk = Buffer.concat([
      Buffer.from(`${id} 0 obj\n`),
      objects[id] as Buffer,
      Buffer.from('\nendobj\n'),
    ]);
    offsets[id] = length;
    parts.push(chunk);
    length += chunk.length;
  }
  const xref = [
    'xref',
    `0 ${objects.length}`,
    '0000000000 65535 f ',
    ...offsets.slice(1).map((offset) => `${String(offset).padStart(10, '0')} 00000 n `),
    'trailer',
    `<< /Size ${objects.length} /Root 1 0 R >>`,
    'startxref',
    String(length),
    '%%EOF',
  ].join('\n');
  parts.push(Buffer.from(`${xref}\n`));
  return new Uint8Array(Buffer.concat(parts));
}

function pdfString(text: string): string {
  return text.replace(/[\\()]/g, (char) => `\\${char}`);
}
