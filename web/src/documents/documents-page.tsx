import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, call, type Doc } from '../api/api';
import { Problem } from '../api/problem';
import { Page } from '../app/page';
import { usePolling } from '../app/polling';
import { Link, navigate } from '../app/router';
import { TopicSelect } from '../topics/topic-select';
import { useTopics } from '../topics/use-topics';
import { BulkBar } from './bulk-bar';
import { inProgress, Status, Thumbnail } from './status';

const PAGE = 50;
const STATUSES = ['pending', 'uploaded', 'classified', 'failed'] as const;
type StatusFilter = (typeof STATUSES)[number];

/** The person's documents, newest first, a page at a time, filtered by topic and status, many selected at once. */
export function DocumentsPage({ query }: { query: URLSearchParams }) {
  const topicId = query.get('topicId') ?? '';
  const status = (query.get('status') ?? '') as StatusFilter | '';
  const { topics, loaded: topicsLoaded, reload: reloadTopics } = useTopics();
  const [documents, setDocuments] = useState<Doc[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [outcome, setOutcome] = useState('');

  const fetchPage = useCallback(
    (cursor?: string, limit = PAGE) =>
      call(
        api.GET('/api/documents', {
          params: {
            query: {
              limit,
              ...(cursor ? { cursor } : {}),
              ...(topicId ? { topicId } : {}),
              ...(status ? { status } : {}),
            },
          },
        }),
      ),
    [topicId, status],
  );

  /** The first page again, as many rows as are shown now (a reload after uploads, bulk actions, live status). */
  const reload = useCallback(
    async (shown = PAGE) => {
      try {
        const page = await fetchPage(undefined, Math.min(100, Math.max(PAGE, shown)));
        setDocuments(page.documents as Doc[]);
        setNext(page.nextCursor);
        setError(null);
      } catch (problem) {
        setError(problem);
      }
    },
    [fetchPage],
  );

  useEffect(() => {
    setDocuments(null);
    setSelected(new Set());
    void reload();
  }, [reload]);

  useEffect(() => {
    const uploaded = () => void reload(documents?.length);
    addEventListener('kite:uploaded', uploaded);
    return () => removeEventListener('kite:uploaded', uploaded);
  }, [reload, documents?.length]);

  // Filing may create topics (the model's suggestions): a topic the list does not know yet reloads the filter's.
  const unknownTopic =
    topicsLoaded &&
    !!documents?.some((d) => d.topics.some((t) => !topics.some((known) => known.id === t.id)));
  useEffect(() => {
    if (unknownTopic) void reloadTopics();
  }, [unknownTopic, reloadTopics]);

  usePolling(!!documents?.some(inProgress), () => void reload(documents?.length));

  const more = async () => {
    if (!next) return;
    try {
      const page = await fetchPage(next);
      setDocuments([...(documents ?? []), ...(page.documents as Doc[])]);
      setNext(page.nextCursor);
    } catch (problem) {
      setError(problem);
    }
  };

  const filter = (key: string, value: string) => {
    const params = new URLSearchParams(query);
    if (value) params.set(key, value);
    else params.delete(key);
    const search = params.toString();
    navigate(`/documents${search ? `?${search}` : ''}`, { replace: true });
  };

  const toggle = (id: string, on: boolean) => {
    const copy = new Set(selected);
    if (on) copy.add(id);
    else copy.delete(id);
    setSelected(copy);
  };
  const all = !!documents?.length && documents.every((d) => selected.has(d.id));

  return (
    <Page title="Documents">
      <div class="filters">
        <TopicSelect
          label="Topic"
          empty="All topics"
          topics={topics}
          value={topicId}
          onChange={(id) => filter('topicId', id)}
        />
        <label>
          Status{' '}
          <select value={status} onChange={(e) => filter('status', e.currentTarget.value)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Problem error={error} />
      <p role="status" class="outcome">
        {outcome}
      </p>
      {selected.size ? (
        <BulkBar
          ids={[...selected]}
          topics={topics}
          done={(keep, outcome) => {
            setOutcome(outcome);
            if (!keep) setSelected(new Set());
            void reload(documents?.length);
          }}
        />
      ) : null}
      {documents === null ? (
        <p>Loading…</p>
      ) : documents.length === 0 ? (
        <p>No documents here yet. Press “Upload” to add some.</p>
      ) : (
        <>
          <label class="select-all">
            <input
              type="checkbox"
              checked={all}
              onChange={(e) =>
                setSelected(new Set(e.currentTarget.checked ? documents.map((d) => d.id) : []))
              }
            />{' '}
            Select all shown
          </label>
          <ul class="documents" aria-label="Documents">
            {documents.map((doc) => (
              <DocumentRow key={doc.id} doc={doc} selected={selected.has(doc.id)} toggle={toggle} />
            ))}
          </ul>
          {next ? (
            <button type="button" onClick={more}>
              Load more
            </button>
          ) : null}
        </>
      )}
    </Page>
  );
}

function DocumentRow({
  doc,
  selected,
  toggle,
}: {
  doc: Doc;
  selected: boolean;
  toggle: (id: string, on: boolean) => void;
}) {
  return (
    <li class="document">
      <input
        type="checkbox"
        aria-label={`Select ${doc.filename}`}
        checked={selected}
        onChange={(e) => toggle(doc.id, e.currentTarget.checked)}
      />
      <Thumbnail doc={doc} />
      <div class="document-main">
        <Link href={`/documents/${doc.id}`}>{doc.filename}</Link>
        <div class="meta">
          <Status doc={doc} />{' '}
          <time dateTime={doc.createdAt}>{new Date(doc.createdAt).toLocaleDateString()}</time>
        </div>
        {doc.topics.length ? (
          <ul class="chips" aria-label={`Topics of ${doc.filename}`}>
            {doc.topics.map((t) => (
              <li key={t.id}>{t.name}</li>
            ))}
          </ul>
        ) : null}
      </div>
    </li>
  );
}
