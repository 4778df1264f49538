import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts NATS and Redis when they are installed but not running, or stops the run at once saying what is missing.
    globalSetup: ['test/setup/services.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
