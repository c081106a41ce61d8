import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  resolve: {
    alias: [
      // simple-peer's main entry needs Node's `global`, `process` and `Buffer` ("global is not
      // defined", then "process is not defined"); its prebuilt browser bundle carries its own
      // shims, so the page uses that (types still from @types/simple-peer). Vitest uses
      // vitest.config.ts, without this alias, so Node code gets the normal entry.
      { find: /^simple-peer$/, replacement: resolve(import.meta.dirname, 'node_modules/simple-peer/simplepeer.min.js') },
    ],
  },
  // Bundle every dependency when the dev server starts, so that a first visit never triggers a
  // "new dependencies found" reload in the middle of a test.
  optimizeDeps: {
    include: [
      'simple-peer',
      'idb',
      '@msgpack/msgpack',
      'valibot',
      '@noble/hashes/legacy.js',
      '@noble/hashes/sha2.js',
      '@noble/hashes/utils.js',
      'zustand/vanilla',
      'qrcode',
    ],
  },
  server: { host: '127.0.0.1', port: Number(process.env.PORT ?? 5173) },
  preview: { host: '127.0.0.1' },
  build: {
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        sim: resolve(import.meta.dirname, 'sim.html'),
        cluster: resolve(import.meta.dirname, 'cluster.html'),
      },
    },
  },
});
