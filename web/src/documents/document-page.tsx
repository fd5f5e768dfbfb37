import { Fragment } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, call, type Doc, type DocWithUrls, ifMatch } from '../api/api';
import { Problem } from '../api/problem';
import { Page } from '../app/page';
import { usePolling } from '../app/polling';
import { navigate, useFocusOnMount } from '../app/router';
import { topicNamed, useTopics } from '../topics/use-topics';
import { formatBytes, formatDate, inProgress, Status } from './status';

/** One document: preview, metadata, rename, topics edited inline, reclassify, download, move to trash. */
export function DocumentPage({ id }: { id: string }) {
  const [loaded, setLoaded] = useState<DocWithUrls | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');

  const load = useCallback(async () => {
    try {
      const answer = (await call(
        api.GET('/api/documents/{id}', { params: { path: { id } } }),
      )) as DocWithUrls;
      // Keep the preview's URL while the document is unchanged: a new presigned URL would reload the frame.
      setLoaded((old) =>
        old && old.document.id === answer.document.id && old.document.version === answer.document.version
          ? { ...answer, previewUrl: old.previewUrl ?? answer.previewUrl, downloadUrl: answer.downloadUrl }
          : answer,
      );
      setError(null);
    } catch (problem) {
      setError(problem);
    }
  }, [id]);

  useEffect(() => {
    setLoaded(null);
    void load();
  }, [load]);
  usePolling(!!loaded && inProgress(loaded.document), () => void load());

  if (!loaded) return <Page title="Document">{error ? <Problem error={error} /> : <p>Loading…</p>}</Page>;
  const { document: doc, downloadUrl } = loaded;
  const changed = (next: Doc, message: string) => {
    setLoaded({ ...loaded, document: next });
    setNotice(message);
    setError(null);
  };

  return (
    <Page title={doc.filename}>
      <p role="status" class="outcome">
        {notice}
      </p>
      <Problem error={error} />
      <div class="document-page">
        <Preview doc={doc} url={loaded.previewUrl ?? null} download={downloadUrl} />
        <div class="document-side">
          <Metadata doc={doc} />
          <TopicsEditor doc={doc} changed={changed} failed={setError} />
          <Rename doc={doc} changed={changed} failed={setError} />
          <div class="actions">
            <button
              type="button"
              onClick={async () => {
                try {
                  const { document } = await call(
                    api.POST('/api/documents/{id}/classify', { params: { path: { id } } }),
                  );
                  changed(document as Doc, 'Filing it again…');
                } catch (problem) {
                  setError(problem);
                }
              }}
            >
              Reclassify
            </button>
            {downloadUrl ? (
              <a class="button" href={downloadUrl} download={doc.filename}>
                Download
              </a>
            ) : null}
            <button
              type="button"
              class="danger"
              onClick={async () => {
                try {
                  await call(api.DELETE('/api/documents/{id}', { params: { path: { id }, query: {} } }));
                  navigate('/documents');
                } catch (problem) {
                  setError(problem);
                }
              }}
            >
              Move to trash
            </button>
          </div>
        </div>
      </div>
    </Page>
  );
}

/** The bucket's inline preview (previewUrl) for PDFs, images and text; the thumbnail otherwise. */
function Preview({ doc, url, download }: { doc: Doc; url: string | null; download: string | null }) {
  const title = `Preview of ${doc.filename}`;
  // An <img> ignores Content-Disposition: before previews exist, the download URL shows an image as well.
  const image = url ?? download;
  if (image && doc.contentType.startsWith('image/')) return <img class="preview" src={image} alt={title} />;
  if (url) return <iframe class="preview" src={url} title={title} />;
  if (doc.thumbnailUrl) return <img class="preview" src={doc.thumbnailUrl} alt={title} />;
  return <p class="preview preview-none">No preview for this document.</p>;
}

function Metadata({ doc }: { doc: Doc }) {
  const rows: [string, string][] = [
    ['Type', doc.contentType],
    ['Size', formatBytes(doc.sizeBytes)],
    ['Uploaded', formatDate(doc.createdAt)],
    ['Filed', formatDate(doc.classifiedAt)],
  ];
  if (doc.pageCount) rows.push(['Pages', String(doc.pageCount)]);
  if (doc.textSource)
    rows.push(['Text', { text: 'text layer', ocr: 'read by OCR', none: 'none found' }[doc.textSource]]);
  return (
    <dl class="metadata">
      <dt>Status</dt>
      <dd>
        <Status doc={doc} />
        {doc.error ? <span class="problem"> {doc.error}</span> : null}
      </dd>
      {rows.map(([term, value]) => (
        <Fragment key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

interface EditProps {
  doc: Doc;
  changed: (doc: Doc, message: string) => void;
  failed: (error: unknown) => void;
}

async function patch(doc: Doc, body: { filename?: string; topicIds?: string[] }): Promise<Doc> {
  const answer = await call(
    api.PATCH('/api/documents/{id}', {
      params: { path: { id: doc.id }, header: ifMatch(doc) as never },
      body,
    }),
  );
  return answer.document as Doc;
}

function TopicsEditor({ doc, changed, failed }: EditProps) {
  const { topics, reload } = useTopics();
  const [name, setName] = useState('');
  const listId = `topic-options-${doc.id}`;

  const add = async (event: Event) => {
    event.preventDefault();
    if (!name.trim()) return;
    try {
      const topic = await topicNamed(name, topics);
      if (!topics.some((t) => t.id === topic.id)) void reload();
      if (doc.topics.some((t) => t.id === topic.id)) {
        setName('');
        return;
      }
      const next = await patch(doc, { topicIds: [...doc.topics.map((t) => t.id), topic.id] });
      setName('');
      changed(next, `Added topic ${topic.name}.`);
    } catch (problem) {
      failed(problem);
    }
  };
  const remove = async (id: string, topicName: string) => {
    try {
      const next = await patch(doc, { topicIds: doc.topics.filter((t) => t.id !== id).map((t) => t.id) });
      changed(next, `Removed topic ${topicName}.`);
    } catch (problem) {
      failed(problem);
    }
  };

  return (
    <section class="topics-editor" aria-labelledby="topics-heading">
      <h2 id="topics-heading">Topics</h2>
      {doc.topics.length ? (
        <ul aria-label="Topics" class="chips">
          {doc.topics.map((t) => (
            <li key={t.id}>
              <span>{t.name}</span>
              {t.source === 'ai' ? <span class="source"> (filed by kite)</span> : null}
              <button
                type="button"
                class="chip-remove"
                aria-label={`Remove topic ${t.name}`}
                onClick={() => remove(t.id, t.name)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p>No topics yet.</p>
      )}
      <form onSubmit={add} class="inline-form">
        <input
          aria-label="Add topic"
          list={listId}
          value={name}
          autoComplete="off"
          onInput={(e) => setName(e.currentTarget.value)}
          placeholder="Topic name"
        />
        <datalist id={listId}>
          {topics
            .filter((t) => !doc.topics.some((d) => d.id === t.id))
            .map((t) => (
              <option key={t.id} value={t.name} />
            ))}
        </datalist>
        <button type="submit">Add</button>
      </form>
    </section>
  );
}

function Rename({ doc, changed, failed }: EditProps) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(doc.filename);
  if (!editing) {
    return (
      <button
        type="button"
        onClick={() => {
          setName(doc.filename);
          setEditing(true);
        }}
      >
        Rename
      </button>
    );
  }
  return (
    <RenameForm
      doc={doc}
      name={name}
      setName={setName}
      close={() => setEditing(false)}
      changed={changed}
      failed={failed}
    />
  );
}

function RenameForm({
  doc,
  name,
  setName,
  close,
  changed,
  failed,
}: EditProps & { name: string; setName: (name: string) => void; close: () => void }) {
  const focused = useFocusOnMount<HTMLInputElement>();
  return (
    <form
      class="inline-form"
      onSubmit={async (event) => {
        event.preventDefault();
        try {
          const next = await patch(doc, { filename: name.trim() });
          close();
          changed(next, `Renamed to ${next.filename}.`);
        } catch (problem) {
          failed(problem);
        }
      }}
    >
      <label>
        New name <input value={name} onInput={(e) => setName(e.currentTarget.value)} ref={focused} required />
      </label>
      <button type="submit">Save name</button>
      <button type="button" class="quiet" onClick={close}>
        Cancel
      </button>
    </form>
  );
}
