import { setSession } from '../api/api';

// Sign-in (docs/web.md "Signing in"). The app reads /config.json: on AWS an OpenID Connect provider (code + PKCE
// with oidc-client-ts, loaded only then); under `npm start` a local sign-in page that npm start itself serves and
// that stores a dev token in sessionStorage. Nothing of the local sign-in is in this bundle: only its URL.

export type WebConfig =
  | { signIn: 'local'; signInUrl: string }
  | {
      signIn: 'oidc';
      authority: string;
      clientId: string;
      scope: string;
      logoutUrl: string | null;
    };

/** Where the local sign-in page leaves its token (local/web.ts writes it). */
export const LOCAL_TOKEN_KEY = 'kite.token';

export interface Session {
  signOut(): Promise<void>;
}

async function loadConfig(): Promise<WebConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`the app's /config.json answered ${response.status}`);
  return (await response.json()) as WebConfig;
}

/**
 * Signs the person in, or sends them to sign in (then resolves to null: the page is leaving). Afterwards every API
 * call carries the token, and a 401 sends the person to sign in again.
 */
export async function startSession(): Promise<Session | null> {
  const config = await loadConfig();
  if (config.signIn === 'local') return localSession(config.signInUrl);
  return oidcSession(config);
}

function localSession(signInUrl: string): Session | null {
  const goSignIn = () =>
    location.assign(`${signInUrl}?${new URLSearchParams({ next: location.pathname + location.search })}`);
  if (!sessionStorage.getItem(LOCAL_TOKEN_KEY)) {
    goSignIn();
    return null;
  }
  setSession(
    () => sessionStorage.getItem(LOCAL_TOKEN_KEY),
    () => {
      sessionStorage.removeItem(LOCAL_TOKEN_KEY);
      goSignIn();
    },
  );
  return {
    async signOut() {
      sessionStorage.removeItem(LOCAL_TOKEN_KEY);
      location.assign(signInUrl);
    },
  };
}

async function oidcSession(config: Extract<WebConfig, { signIn: 'oidc' }>): Promise<Session | null> {
  const { UserManager, WebStorageStateStore } = await import('oidc-client-ts');
  const manager = new UserManager({
    authority: config.authority,
    client_id: config.clientId,
    scope: config.scope,
    redirect_uri: `${location.origin}/auth/callback`,
    post_logout_redirect_uri: `${location.origin}/`,
    response_type: 'code',
    userStore: new WebStorageStateStore({ store: sessionStorage }),
    // Cognito publishes no end_session_endpoint: the deploy gives its logout URL (docs/web.md "Signing in").
    ...(config.logoutUrl ? { metadataSeed: { end_session_endpoint: config.logoutUrl } } : {}),
    automaticSilentRenew: true,
  });
  if (location.pathname === '/auth/callback') {
    const user = await manager.signinRedirectCallback();
    const back = typeof user.state === 'string' && user.state.startsWith('/') ? user.state : '/';
    history.replaceState(null, '', back);
  }
  let user = await manager.getUser();
  if (!user || user.expired) {
    await manager.signinRedirect({ state: location.pathname + location.search });
    return null;
  }
  manager.events.addUserLoaded((loaded) => {
    user = loaded;
  });
  setSession(
    () => user?.access_token ?? null,
    () => {
      void manager
        .removeUser()
        .then(() => manager.signinRedirect({ state: location.pathname + location.search }));
    },
  );
  return {
    async signOut() {
      try {
        // The provider's end_session_endpoint (from discovery, or the deploy's logoutUrl for Cognito, which reads
        // client_id and logout_uri; other providers ignore them).
        await manager.signoutRedirect(
          config.logoutUrl
            ? { extraQueryParams: { client_id: config.clientId, logout_uri: `${location.origin}/` } }
            : {},
        );
      } catch {
        // A provider without one: forget the session here and sign in again.
        await manager.removeUser();
        await manager.signinRedirect();
      }
    },
  };
}
