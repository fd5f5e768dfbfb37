import { inject } from 'vitest';

// Runs before each test file's imports: the lib/ config reads these on first use.
Object.assign(process.env, inject('testEnv'));
