import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  resolve: {
    alias: {
      // simple-peer's main entry needs Node's `global`, `process` and `Buffer`; its prebuilt
      // browser bundle carries its own shims, so the page uses that (types from @types/simple-peer).
      // Vitest uses vitest.config.ts, without this alias, so Node code gets the normal entry.
      'simple-peer': 'simple-peer/simplepeer.min.js',
    },
  },
  server: { host: '127.0.0.1', port: Number(process.env.PORT ?? 5173) },
  preview: { host: '127.0.0.1' },
  build: {
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      input: { main: resolve(import.meta.dirname, 'index.html'), sim: resolve(import.meta.dirname, 'sim.html') },
    },
  },
});
