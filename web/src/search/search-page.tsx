import { useEffect, useState } from 'preact/hooks';
import { api, call, type SearchResult } from '../api/api';
import { Problem } from '../api/problem';
import { Page } from '../app/page';
import { Link } from '../app/router';
import { Status, Thumbnail } from '../documents/status';
import { Highlighted } from './highlighted';

/** Results for `q` as it changes; a late answer for an older query never replaces a newer one. */
export function SearchPage({ q }: { q: string }) {
  const [results, setResults] = useState<SearchResult[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!q.trim()) {
      setResults([]);
      setNext(null);
      setError(null);
      return;
    }
    let current = true;
    call(api.GET('/api/search', { params: { query: { q, limit: 20 } } })).then(
      (page) => {
        if (!current) return;
        setResults(page.results as SearchResult[]);
        setNext(page.nextCursor);
        setError(null);
      },
      (problem: unknown) => {
        if (current) setError(problem);
      },
    );
    return () => {
      current = false;
    };
  }, [q]);

  const more = async () => {
    if (!next) return;
    try {
      const page = await call(api.GET('/api/search', { params: { query: { q, limit: 20, cursor: next } } }));
      setResults([...(results ?? []), ...(page.results as SearchResult[])]);
      setNext(page.nextCursor);
    } catch (problem) {
      setError(problem);
    }
  };

  return (
    <Page title="Search">
      <Problem error={error} />
      {!q.trim() ? (
        <p>Type in the search box: words, "a phrase", -without.</p>
      ) : results === null ? (
        <p>Searching…</p>
      ) : (
        <>
          <p role="status">
            {results.length === 0
              ? `Nothing found for “${q}”.`
              : `Results for “${q}”${next ? '' : `: ${results.length}`}`}
          </p>
          <ul class="documents results" aria-label="Results">
            {results.map(({ document: doc, snippet, highlights }) => (
              <li key={doc.id} class="document">
                <Thumbnail doc={doc} />
                <div class="document-main">
                  <Link href={`/documents/${doc.id}`}>{doc.filename}</Link> <Status doc={doc} />
                  <p class="snippet">
                    <Highlighted text={snippet} ranges={highlights} />
                  </p>
                </div>
              </li>
            ))}
          </ul>
          {next ? (
            <button type="button" onClick={more}>
              More results
            </button>
          ) : null}
        </>
      )}
    </Page>
  );
}
