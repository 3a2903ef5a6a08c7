import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Generous: several tests start real CLI processes, which is slow on a busy 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Two cores: files run in parallel forks, each against its own SQLite file and PG schema.
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
  },
});
