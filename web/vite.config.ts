import { defineConfig } from 'vite';

// Preact's JSX without a plugin: the automatic runtime from preact itself.
// The dev server passes /api to a running gateway (GATEWAY_URL).
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { target: 'es2022', assetsInlineLimit: 0 },
  server: {
    host: '127.0.0.1',
    proxy: { '/api': process.env.GATEWAY_URL || 'http://127.0.0.1:8080' },
  },
  test: { include: ['test/**/*.test.ts'], environment: 'node' },
} as any);
