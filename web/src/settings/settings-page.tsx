import { useCallback, useEffect, useState } from 'preact/hooks';
import { type ApiKey, api, call, type Scope, type User } from '../api/api';
import { Problem } from '../api/problem';
import { Page } from '../app/page';
import { formatBytes, formatDate } from '../documents/status';

const SCOPES: { scope: Scope; label: string }[] = [
  { scope: 'documents:read', label: 'Read documents' },
  { scope: 'documents:write', label: 'Upload and change documents' },
  { scope: 'topics:read', label: 'Read topics' },
  { scope: 'topics:write', label: 'Change topics' },
  { scope: 'admin', label: 'Administer (admins only)' },
];

/** Storage used against the quota, and API keys: create with scopes, copy the secret once, revoke. */
export function SettingsPage() {
  const [me, setMe] = useState<User | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    call(api.GET('/api/me')).then(setMe, setError);
  }, []);
  const used = me ? me.quota.usedBytes : 0;
  const limit = me ? me.quota.limitBytes : 0;

  return (
    <Page title="Settings">
      <Problem error={error} />
      <section aria-labelledby="storage-heading">
        <h2 id="storage-heading">Storage</h2>
        {me ? (
          <>
            <p id="quota-text">
              {formatBytes(used)} of {formatBytes(limit)} used
            </p>
            <progress
              aria-labelledby="storage-heading"
              aria-describedby="quota-text"
              max={limit || 1}
              value={used}
            />
            <p class="meta">
              Signed in as {me.email ?? me.id}
              {me.role === 'admin' ? ' (admin)' : ''}. Documents are filed by {me.effectiveAiProvider}
              {me.aiModel ? ` (${me.aiModel})` : ''}.
            </p>
          </>
        ) : (
          <p>Loading…</p>
        )}
      </section>
      <ApiKeys isAdmin={me?.role === 'admin'} />
    </Page>
  );
}

function ApiKeys({ isAdmin }: { isAdmin: boolean }) {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Set<Scope>>(new Set(['documents:read']));
  const [secret, setSecret] = useState<{ name: string; value: string } | null>(null);
  const [copied, setCopied] = useState('');

  const load = useCallback(async () => {
    try {
      setKeys((await call(api.GET('/api/keys'))).keys);
    } catch (problem) {
      setError(problem);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const create = async (event: Event) => {
    event.preventDefault();
    try {
      const created = await call(api.POST('/api/keys', { body: { name, scopes: [...scopes] } }));
      setSecret({ name: created.key.name, value: created.secret });
      setCopied('');
      setName('');
      setError(null);
      await load();
    } catch (problem) {
      setError(problem);
    }
  };

  return (
    <section aria-labelledby="keys-heading">
      <h2 id="keys-heading">API keys</h2>
      <p>For scripts, the kite CLI and other programs. A key can do only what its scopes allow.</p>
      <Problem error={error} />
      {secret ? (
        <fieldset class="secret">
          <legend>
            Your new key “{secret.name}”. Copy it now: kite shows it only once and keeps no copy.
          </legend>
          <input
            readOnly
            aria-label="New key"
            value={secret.value}
            onFocus={(e) => e.currentTarget.select()}
          />
          <button
            type="button"
            onClick={async () => {
              try {
                await navigator.clipboard.writeText(secret.value);
                setCopied('Copied.');
              } catch {
                setCopied('The browser refused to copy: select the key and copy it by hand.');
              }
            }}
          >
            Copy key
          </button>
          <button type="button" class="quiet" onClick={() => setSecret(null)}>
            Done
          </button>
          <span role="status">{copied}</span>
        </fieldset>
      ) : null}
      <form class="key-form" onSubmit={create}>
        <label>
          Key name{' '}
          <input value={name} required maxLength={100} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.filter((s) => s.scope !== 'admin' || isAdmin).map(({ scope, label }) => (
            <label key={scope} class="check">
              <input
                type="checkbox"
                checked={scopes.has(scope)}
                onChange={(e) => {
                  const copy = new Set(scopes);
                  if (e.currentTarget.checked) copy.add(scope);
                  else copy.delete(scope);
                  setScopes(copy);
                }}
              />{' '}
              {label} <code>{scope}</code>
            </label>
          ))}
        </fieldset>
        <button type="submit">Create key</button>
      </form>
      {keys === null ? null : keys.length === 0 ? (
        <p>No keys yet.</p>
      ) : (
        <table>
          <caption>Your keys</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Starts with</th>
              <th scope="col">Scopes</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id}>
                <td>{key.name}</td>
                <td>
                  <code>{key.prefix}…</code>
                </td>
                <td>{key.scopes.join(', ')}</td>
                <td>{key.lastUsedAt ? formatDate(key.lastUsedAt) : 'never'}</td>
                <td>
                  <button
                    type="button"
                    class="danger"
                    aria-label={`Revoke ${key.name}`}
                    onClick={async () => {
                      try {
                        await call(api.DELETE('/api/keys/{id}', { params: { path: { id: key.id } } }));
                        await load();
                      } catch (problem) {
                        setError(problem);
                      }
                    }}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
