import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, call, type Doc } from '../api/api';
import { Problem } from '../api/problem';
import { Page } from '../app/page';
import { formatBytes, formatDate } from '../documents/status';

/** What the person moved to the trash, newest deletion first: restore, delete for good, empty. */
export function TrashPage() {
  const [documents, setDocuments] = useState<Doc[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [confirming, setConfirming] = useState(false);

  const load = useCallback(async (cursor?: string) => {
    try {
      const page = await call(
        api.GET('/api/trash', { params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } } }),
      );
      setDocuments((old) => [...(cursor ? (old ?? []) : []), ...(page.documents as Doc[])]);
      setNext(page.nextCursor);
      setError(null);
    } catch (problem) {
      setError(problem);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const act = async (work: () => Promise<unknown>, message: string) => {
    try {
      await work();
      setNotice(message);
      await load();
    } catch (problem) {
      setError(problem);
    }
  };

  return (
    <Page title="Trash">
      <p>
        Documents here still count toward your storage until they are deleted for good (after 30 days at the
        latest).
      </p>
      <p role="status" class="outcome">
        {notice}
      </p>
      <Problem error={error} />
      {documents === null ? (
        <p>Loading…</p>
      ) : documents.length === 0 ? (
        <p>The trash is empty.</p>
      ) : (
        <>
          {confirming ? (
            <fieldset class="confirm">
              <legend>Delete every document in the trash for good? This cannot be undone.</legend>
              <button
                type="button"
                class="danger"
                onClick={() => {
                  setConfirming(false);
                  void act(() => call(api.DELETE('/api/trash')), 'Deleted everything in the trash for good.');
                }}
              >
                Delete all for good
              </button>
              <button type="button" class="quiet" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </fieldset>
          ) : (
            <button type="button" class="danger" onClick={() => setConfirming(true)}>
              Empty trash
            </button>
          )}
          <ul class="documents" aria-label="Documents in the trash">
            {documents.map((doc) => {
              const path = { params: { path: { id: doc.id } } };
              return (
                <li key={doc.id} class="document" aria-label={doc.filename}>
                  <div class="document-main">
                    <span class="filename">{doc.filename}</span>
                    <div class="meta">
                      {formatBytes(doc.sizeBytes)} · moved to the trash {formatDate(doc.deletedAt)}
                    </div>
                  </div>
                  <button
                    type="button"
                    onClick={() =>
                      void act(
                        () => call(api.POST('/api/documents/{id}/restore', path)),
                        `Restored ${doc.filename}.`,
                      )
                    }
                  >
                    Restore
                  </button>
                  <button
                    type="button"
                    class="quiet"
                    aria-label={`Delete for good ${doc.filename}`}
                    onClick={() =>
                      void act(
                        () => call(api.DELETE('/api/trash/{id}', path)),
                        `Deleted ${doc.filename} for good.`,
                      )
                    }
                  >
                    Delete for good
                  </button>
                </li>
              );
            })}
          </ul>
          {next ? (
            <button type="button" onClick={() => void load(next)}>
              Load more
            </button>
          ) : null}
        </>
      )}
    </Page>
  );
}
