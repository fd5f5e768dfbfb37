// `npm run dev:docker`: `npm start` against the containers of docker-compose.yml instead of the embedded stack.
// The URLs below are docker-compose.yml's local development defaults; any already set in the environment win.
process.env.DATABASE_URL ??= 'postgres://kite:kite-local-dev-only@127.0.0.1:5432/kite';
process.env.AWS_ENDPOINT_URL ??= 'http://127.0.0.1:4566';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.OLLAMA_HOST ??= 'http://127.0.0.1:11434';

import('./start.js');
