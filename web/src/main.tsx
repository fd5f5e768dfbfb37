import { render } from 'preact';
import { App } from './app/app';
import { startSession } from './auth/session';
import './styles.css';

const root = document.getElementById('app') as HTMLElement;

startSession().then(
  (session) => {
    if (session) render(<App session={session} />, root);
  },
  (error: unknown) => {
    const message = document.createElement('p');
    message.setAttribute('role', 'alert');
    message.textContent = `kite could not sign you in: ${error instanceof Error ? error.message : String(error)}`;
    root.replaceChildren(message);
  },
);
