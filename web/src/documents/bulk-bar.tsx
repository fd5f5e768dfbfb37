import { useState } from 'preact/hooks';
import { api, call, type Schemas, type Topic } from '../api/api';
import { Problem } from '../api/problem';
import { TopicSelect } from '../topics/topic-select';

type Action = Schemas['BulkRequest']['action'];

/** Acts on the selected documents with one POST /api/documents/bulk, and says how each id fared. */
export function BulkBar({
  ids,
  topics,
  done,
}: {
  ids: string[];
  topics: Topic[];
  done: (keep: boolean, outcome: string) => void;
}) {
  const [topicId, setTopicId] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const run = async (action: Action) => {
    if ((action === 'addTopics' || action === 'removeTopics') && !topicId) {
      setError(new Error('Choose a topic first.'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = { ids, action, ...(action.endsWith('Topics') ? { topicIds: [topicId] } : {}) };
      const { results } = await call(api.POST('/api/documents/bulk', { body }));
      const ok = results.filter((r) => r.outcome === 'ok').length;
      const rest = results.length - ok;
      done(
        action.endsWith('Topics'),
        `${ok} of ${results.length} done${rest ? `; ${rest} not changed (gone or changed meanwhile)` : ''}.`,
      );
    } catch (problem) {
      setError(problem);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="bulk" aria-label="Selected documents">
      <p>{ids.length} selected</p>
      <TopicSelect
        label="Topic for selected"
        empty="Choose…"
        topics={topics}
        value={topicId}
        onChange={setTopicId}
      />
      <button type="button" disabled={busy} onClick={() => run('addTopics')}>
        Add to topic
      </button>
      <button type="button" disabled={busy} onClick={() => run('removeTopics')}>
        Remove from topic
      </button>
      <button type="button" disabled={busy} onClick={() => run('reclassify')}>
        Reclassify selected
      </button>
      <button type="button" disabled={busy} onClick={() => run('trash')}>
        Move selected to trash
      </button>
      <Problem error={error} />
    </section>
  );
}
