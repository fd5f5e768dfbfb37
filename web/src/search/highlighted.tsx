import type { ComponentChildren } from 'preact';

/**
 * The snippet with its `[start, end)` highlight ranges in <mark>, built as text nodes: the server's text is never
 * parsed as HTML (docs/api.md "Search"), so a document containing `<script>` shows the text `<script>`.
 */
export function Highlighted({ text, ranges }: { text: string; ranges: number[][] }) {
  const parts: ComponentChildren[] = [];
  let at = 0;
  const sorted = ranges
    .filter(
      (r): r is [number, number] => r.length === 2 && typeof r[0] === 'number' && typeof r[1] === 'number',
    )
    .sort((a, b) => a[0] - b[0]);
  for (const [start, end] of sorted) {
    if (start < at || end <= start || end > text.length) continue;
    if (start > at) parts.push(text.slice(at, start));
    parts.push(<mark key={start}>{text.slice(start, end)}</mark>);
    at = end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return <>{parts}</>;
}
