import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Unit tests sit beside the code they test (README "Layout"); whatever starts the stack is in tests/.
    include: ['tests/**/*.test.ts', 'lib/**/*.test.ts', 'functions/**/*.test.ts', 'cli/**/*.test.ts'],
    globalSetup: ['tests/helpers/global-setup.ts'],
    setupFiles: ['tests/helpers/setup-env.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Warnings about Node 20 from the AWS SDK are noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
