import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Two entries: the dashboard and the map re-colour benchmark page that the
// browser test opens. Assets get content hashes, so the Go handler can
// cache them for a year; index.html is never cached.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        bench: resolve(import.meta.dirname, 'bench.html'),
      },
    },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
