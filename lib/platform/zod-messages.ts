// kite validates with zod's functional `zod/mini` API: the classic API attaches dozens of bound methods to every
// schema it builds, which cost ~25 ms of each cold start for config.ts and schemas.ts together on the benchmark
// machine (docs/performance.md "Performance"). Mini validates the same way but ships no messages: this loads the English ones
// the classic API uses, so clients read "Too small: expected string to have >=1 characters", not "Invalid input".
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
