import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer: built once, served by Electron's app:// protocol and by the web host alike.
export default defineConfig({
  root: 'renderer',
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
});
