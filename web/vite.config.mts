import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// docs/web.md "Developing the app": `npx vite --config web/vite.config.ts` serves the app with hot reload and
// proxies /api (and the local sign-in, /config.json) to `npm start` on KITE_URL (default http://127.0.0.1:3000).
const target = process.env.KITE_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [preact()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    port: 5173,
    // The app imports the generated client from ../client.
    fs: { allow: ['..'] },
    proxy: {
      '/api': target,
      '/config.json': target,
      '/local': target,
    },
  },
});
