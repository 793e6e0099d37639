import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests open real ptys and spawn processes: two workers match the 2-core machines.
    pool: 'forks',
    maxWorkers: 2,
  },
});
