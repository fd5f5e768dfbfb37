import { beforeEach, inject } from 'vitest';
import { assertConfigurationUnchanged } from './env.js';

// Runs before each test file's imports, so the configuration a function parses when it loads sees these
// (tests/helpers/env.ts has the rule for a file's own settings).
Object.assign(process.env, inject('testEnv'));

beforeEach(assertConfigurationUnchanged);
