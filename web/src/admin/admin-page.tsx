import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, call, type Topic, type User } from '../api/api';
import { Problem } from '../api/problem';
import { Page } from '../app/page';
import { formatBytes } from '../documents/status';
import { NewTopicForm } from '../topics/new-topic-form';

const MiB = 1024 * 1024;
const PROVIDERS = ['ollama', 'openai', 'local'] as const;

/** For admins: the system topics everyone sees, and each user's AI provider, model and storage quota. */
export function AdminPage() {
  return (
    <Page title="Admin">
      <SystemTopics />
      <Users />
    </Page>
  );
}

function SystemTopics() {
  const [topics, setTopics] = useState<Topic[]>([]);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async () => {
    try {
      setTopics((await call(api.GET('/api/admin/topics'))).topics);
    } catch (problem) {
      setError(problem);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  const act = async (work: () => Promise<unknown>) => {
    try {
      await work();
      setError(null);
      await load();
    } catch (problem) {
      setError(problem);
    }
  };

  return (
    <section aria-labelledby="system-topics-heading">
      <h2 id="system-topics-heading">System topics</h2>
      <Problem error={error} />
      <NewTopicForm
        nameLabel="System topic name"
        submitLabel="Add system topic"
        act={act}
        create={(body) => call(api.POST('/api/admin/topics', { body }))}
      />
      <ul class="topic-list" aria-label="System topics">
        {topics.map((t) => (
          <li key={t.id}>
            {t.name}
            {t.description ? <span class="meta"> — {t.description}</span> : null}{' '}
            <button
              type="button"
              class="quiet"
              aria-label={`Delete system topic ${t.name}`}
              onClick={() =>
                void act(() => call(api.DELETE('/api/admin/topics/{id}', { params: { path: { id: t.id } } })))
              }
            >
              Delete
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Users() {
  const [users, setUsers] = useState<User[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async (cursor?: string) => {
    try {
      const page = await call(
        api.GET('/api/admin/users', { params: { query: { ...(cursor ? { cursor } : {}) } } }),
      );
      setUsers((old) => [...(cursor ? old : []), ...page.users]);
      setNext(page.nextCursor);
    } catch (problem) {
      setError(problem);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section aria-labelledby="users-heading">
      <h2 id="users-heading">Users</h2>
      <Problem error={error} />
      <ul class="users" aria-label="Users">
        {users.map((user) => (
          <UserRow
            key={user.id}
            user={user}
            saved={(updated) => setUsers(users.map((u) => (u.id === updated.id ? updated : u)))}
          />
        ))}
      </ul>
      {next ? (
        <button type="button" onClick={() => void load(next)}>
          More users
        </button>
      ) : null}
    </section>
  );
}

function UserRow({ user, saved }: { user: User; saved: (user: User) => void }) {
  const who = user.email ?? user.id;
  const [provider, setProvider] = useState(user.aiProvider ?? '');
  const [model, setModel] = useState(user.aiModel ?? '');
  const [quota, setQuota] = useState(String(Math.round(user.quota.limitBytes / MiB)));
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');

  return (
    <li class="user">
      <form
        class="inline-form"
        onSubmit={async (event) => {
          event.preventDefault();
          try {
            const body = {
              aiProvider: (provider || null) as (typeof PROVIDERS)[number] | null,
              aiModel: model.trim() || null,
              quotaLimitBytes: Math.round(Number(quota) * MiB),
            };
            const answer = await call(
              api.PATCH('/api/admin/users/{id}', { params: { path: { id: user.id } }, body }),
            );
            saved(answer.user);
            setError(null);
            setNotice('Saved.');
          } catch (problem) {
            setError(problem);
          }
        }}
      >
        <strong>{who}</strong>
        <span class="meta">
          {user.role} · {formatBytes(user.quota.usedBytes)} used
        </span>
        <label>
          AI provider{' '}
          <select
            aria-label={`AI provider for ${who}`}
            value={provider}
            onChange={(e) => setProvider(e.currentTarget.value)}
          >
            <option value="">Default</option>
            {PROVIDERS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          Model{' '}
          <input
            aria-label={`Model for ${who}`}
            value={model}
            onInput={(e) => setModel(e.currentTarget.value)}
          />
        </label>
        <label>
          Quota (MB){' '}
          <input
            aria-label={`Quota in MB for ${who}`}
            type="number"
            min={0}
            value={quota}
            onInput={(e) => setQuota(e.currentTarget.value)}
          />
        </label>
        <button type="submit" aria-label={`Save ${who}`}>
          Save
        </button>
        <span role="status">{notice}</span>
        <Problem error={error} />
      </form>
    </li>
  );
}
