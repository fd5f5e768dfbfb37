import { parseArgs } from 'node:util';
import { signDevToken } from '../local/token.js';

// npm run token -- <sub> [--admin] [--email e]: a dev JWT signed with JWT_SECRET (or the local dev-only secret).
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { admin: { type: 'boolean', default: false }, email: { type: 'string' }, ttl: { type: 'string' } },
});
const sub = positionals[0];
if (!sub) {
  console.error('usage: npm run token -- <sub> [--admin] [--email e] [--ttl 12h]');
  process.exit(2);
}
signDevToken(sub, {
  admin: values.admin,
  ...(values.email ? { email: values.email } : {}),
  ...(values.ttl ? { expiresIn: values.ttl } : {}),
}).then((token) => console.log(token));
