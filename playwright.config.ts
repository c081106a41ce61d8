import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './e2e/chromium.js';

export const SIGNAL_PORT = 8790;
export const APP_PORT = 5190;

export default defineConfig({
  testDir: 'e2e',
  globalSetup: './e2e/global-setup.ts',
  timeout: 90_000,
  expect: { timeout: 20_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${APP_PORT}`,
    trace: 'retain-on-failure',
    launchOptions: chromiumLaunchOptions,
  },
  webServer: [
    {
      command: `npx tsx signaling/main.ts --port ${SIGNAL_PORT}`,
      url: `http://127.0.0.1:${SIGNAL_PORT}/health`,
      reuseExistingServer: false,
      stdout: 'ignore',
    },
    {
      command: `npx vite --port ${APP_PORT} --strictPort`,
      url: `http://127.0.0.1:${APP_PORT}/`,
      env: { VITE_SIGNAL_PORT: String(SIGNAL_PORT) },
      reuseExistingServer: false,
    },
  ],
});
