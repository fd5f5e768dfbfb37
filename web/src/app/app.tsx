import { lazy, Suspense } from 'preact/compat';
import { useEffect, useState } from 'preact/hooks';
import { api, call, type User } from '../api/api';
import { Problem } from '../api/problem';
import type { Session } from '../auth/session';
import { DocumentPage } from '../documents/document-page';
import { DocumentsPage } from '../documents/documents-page';
import { SearchBox } from '../search/search-box';
import { SearchPage } from '../search/search-page';
import { TopicsPage } from '../topics/topics-page';
import { TrashPage } from '../trash/trash-page';
import { Page } from './page';
import { Link, type Route, useRoute } from './router';

// Settings, admin and the uploader load when first opened: the first screen stays small (docs/performance.md "The web app").
const SettingsPage = lazy(() => import('../settings/settings-page').then((m) => m.SettingsPage));
const AdminPage = lazy(() => import('../admin/admin-page').then((m) => m.AdminPage));
const Uploader = lazy(() => import('../upload/uploader').then((m) => m.Uploader));

function screen(route: Route, me: User) {
  const { path } = route;
  const document = /^\/documents\/([^/]+)$/.exec(path);
  if (document?.[1]) return <DocumentPage id={decodeURIComponent(document[1])} />;
  if (path === '/' || path === '/documents') return <DocumentsPage query={route.query} />;
  if (path === '/search') return <SearchPage q={route.query.get('q') ?? ''} />;
  if (path === '/topics') return <TopicsPage />;
  if (path === '/trash') return <TrashPage />;
  if (path === '/settings') return <SettingsPage />;
  if (path === '/admin' && me.role === 'admin') return <AdminPage />;
  return (
    <Page title="Not found">
      <p>
        There is nothing at this address. <Link href="/documents">Go to your documents</Link>.
      </p>
    </Page>
  );
}

export function App({ session }: { session: Session }) {
  const route = useRoute();
  const [me, setMe] = useState<User | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [uploading, setUploading] = useState(false);

  useEffect(() => {
    call(api.GET('/api/me')).then(setMe, setError);
  }, []);

  if (!me) {
    return <main id="main">{error ? <Problem error={error} /> : <p>Loading…</p>}</main>;
  }
  const section = route.path.split('/')[1] || 'documents';
  const nav = (href: string, label: string) => (
    <li>
      <Link href={href} {...(section === href.slice(1) ? { 'aria-current': 'page' as const } : {})}>
        {label}
      </Link>
    </li>
  );
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="bar">
        <Link href="/documents" class="brand">
          kite
        </Link>
        <nav aria-label="Main">
          <ul>
            {nav('/documents', 'Documents')}
            {nav('/topics', 'Topics')}
            {nav('/trash', 'Trash')}
            {nav('/settings', 'Settings')}
            {me.role === 'admin' ? nav('/admin', 'Admin') : null}
          </ul>
        </nav>
        <SearchBox initial={route.path === '/search' ? (route.query.get('q') ?? '') : ''} />
        <button
          type="button"
          aria-expanded={uploading}
          aria-controls="uploader"
          onClick={() => setUploading(!uploading)}
        >
          Upload
        </button>
        <button type="button" class="quiet" onClick={() => void session.signOut()}>
          Sign out
        </button>
      </header>
      {uploading ? (
        <section id="uploader" aria-label="Uploader" class="uploader">
          <Suspense fallback={<p>Loading the uploader…</p>}>
            <Uploader onClose={() => setUploading(false)} />
          </Suspense>
        </section>
      ) : null}
      <main id="main">
        <Suspense fallback={<p>Loading…</p>}>{screen(route, me)}</Suspense>
      </main>
    </>
  );
}
