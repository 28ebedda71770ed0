import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Emulators (Pub/Sub, Firestore) start once per run here and stop at the end.
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
  },
});
