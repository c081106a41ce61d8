import { defineConfig } from 'vitest/config';

// Kept apart from vite.config.ts so that Node-side tests never see the page's browser aliases.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
