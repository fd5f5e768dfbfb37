import { useState } from 'preact/hooks';
import { api, call, type Topic } from '../api/api';
import { Problem } from '../api/problem';
import { Page } from '../app/page';
import { Link, useFocusOnMount } from '../app/router';
import { NewTopicForm } from './new-topic-form';
import { useTopics } from './use-topics';

/** The person's own topics (create, rename, delete) and the system topics (read-only). */
export function TopicsPage() {
  const { topics, error: loadError, reload } = useTopics();
  const [error, setError] = useState<unknown>(null);
  const own = topics.filter((t) => t.scope === 'user');
  const system = topics.filter((t) => t.scope === 'system');

  const act = async (work: () => Promise<unknown>) => {
    try {
      await work();
      setError(null);
      await reload();
    } catch (problem) {
      setError(problem);
    }
  };

  return (
    <Page title="Topics">
      <Problem error={loadError ?? error} />
      <section aria-labelledby="own-topics">
        <h2 id="own-topics">Your topics</h2>
        <NewTopicForm
          nameLabel="Topic name"
          submitLabel="Create topic"
          act={act}
          create={(body) => call(api.POST('/api/topics', { body }))}
        />
        {own.length ? (
          <ul class="topic-list" aria-label="Your topics">
            {own.map((t) => (
              <OwnTopic key={t.id} topic={t} act={act} />
            ))}
          </ul>
        ) : (
          <p>None yet. Topics you add to a document appear here too.</p>
        )}
      </section>
      <section aria-labelledby="system-topics">
        <h2 id="system-topics">System topics</h2>
        <p>
          Set by an administrator for everyone; a topic of yours with the same name takes its place for you.
        </p>
        <ul class="topic-list" aria-label="System topics">
          {system.map((t) => (
            <li key={t.id}>
              <Link href={`/documents?${new URLSearchParams({ topicId: t.id })}`}>{t.name}</Link>
              {t.description ? <span class="meta"> — {t.description}</span> : null}
            </li>
          ))}
        </ul>
      </section>
    </Page>
  );
}

function OwnTopic({ topic, act }: { topic: Topic; act: (work: () => Promise<unknown>) => Promise<void> }) {
  const [editing, setEditing] = useState(false);
  const path = { params: { path: { id: topic.id } } };
  if (editing) {
    return (
      <li>
        <RenameTopic topic={topic} close={() => setEditing(false)} act={act} />
      </li>
    );
  }
  return (
    <li>
      <Link href={`/documents?${new URLSearchParams({ topicId: topic.id })}`}>{topic.name}</Link>
      {topic.description ? <span class="meta"> — {topic.description}</span> : null}{' '}
      <button
        type="button"
        class="quiet"
        aria-label={`Rename topic ${topic.name}`}
        onClick={() => setEditing(true)}
      >
        Rename
      </button>
      <button
        type="button"
        class="quiet"
        aria-label={`Delete topic ${topic.name}`}
        onClick={() => void act(() => call(api.DELETE('/api/topics/{id}', path)))}
      >
        Delete
      </button>
    </li>
  );
}

function RenameTopic({
  topic,
  close,
  act,
}: {
  topic: Topic;
  close: () => void;
  act: (work: () => Promise<unknown>) => Promise<void>;
}) {
  const [name, setName] = useState(topic.name);
  const focused = useFocusOnMount<HTMLInputElement>();
  return (
    <form
      class="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        void act(async () => {
          await call(api.PATCH('/api/topics/{id}', { params: { path: { id: topic.id } }, body: { name } }));
          close();
        });
      }}
    >
      <label>
        New name for {topic.name}{' '}
        <input value={name} ref={focused} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <button type="submit">Save</button>
      <button type="button" class="quiet" onClick={close}>
        Cancel
      </button>
    </form>
  );
}
