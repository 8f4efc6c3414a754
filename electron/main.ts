/**
 * The Electron host. One hardened window over the Workstation (DESIGN.md §3): context
 * isolation, sandbox, no Node in the renderer, strict CSP, the app:// protocol instead of
 * file://, navigation and new windows denied, every IPC sender checked, only the camera
 * permission grantable, devtools off when packaged.
 */
import {
  app,
  BrowserWindow,
  ipcMain,
  protocol,
  session,
  type IpcMainInvokeEvent,
  type MediaAccessPermissionRequest,
  type WebContents,
} from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventNames, ipcChannels } from '../core/api/index.js';
import { chooseReaders, createWorkstation, parseReaderMode } from './compose.js';
import { contentSecurityPolicy } from './csp.js';
import { rendererDir } from './package-info.js';
import { readRendererFile } from './static-files.js';

const APP_ORIGIN = 'app://obf';

protocol.registerSchemesAsPrivileged([
  { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
]);

function readerMode() {
  const arg = process.argv.find((a) => a.startsWith('--readers='));
  return parseReaderMode(arg ? arg.slice('--readers='.length) : 'auto');
}

function isAppFrame(event: IpcMainInvokeEvent, window: BrowserWindow | null): boolean {
  const frame = event.senderFrame;
  return (
    window !== null &&
    event.sender === window.webContents &&
    frame !== null &&
    frame === window.webContents.mainFrame &&
    new URL(frame.url).origin === APP_ORIGIN
  );
}

function harden(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (new URL(url).origin !== APP_ORIGIN) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

async function main(): Promise<void> {
  await app.whenReady();
  const root = rendererDir();
  const station = createWorkstation('electron', chooseReaders(readerMode()).backend, app.getPath('userData'));

  // Serve the built renderer under app://obf/ with the CSP on every response.
  protocol.handle('app', async (request) => {
    const url = new URL(request.url);
    if (url.origin !== APP_ORIGIN) return new Response('not found', { status: 404 });
    const file = await readRendererFile(root, url.pathname);
    if (!file) return new Response('not found', { status: 404 });
    return new Response(new Uint8Array(file.body), {
      headers: {
        'content-type': file.contentType,
        'content-security-policy': contentSecurityPolicy(),
        'x-content-type-options': 'nosniff',
      },
    });
  });

  // Only the camera (KYC evidence) may ever be granted, and only to our own origin.
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((contents, permission, callback, details) => {
    const media = (details as MediaAccessPermissionRequest).mediaTypes ?? [];
    const videoOnly = permission === 'media' && media.length > 0 && media.every((t) => t === 'video');
    callback(videoOnly && new URL(details.requestingUrl).origin === APP_ORIGIN);
  });
  ses.setPermissionCheckHandler(
    (_contents, permission, requestingOrigin) => permission === 'media' && requestingOrigin === APP_ORIGIN,
  );
  app.on('web-contents-created', (_e, contents) => harden(contents));

  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 1024,
    minHeight: 700,
    title: 'OBF Provisioning Workstation',
    show: false,
    webPreferences: {
      preload: join(fileURLToPath(new URL('.', import.meta.url)), 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      spellcheck: false,
      devTools: !app.isPackaged,
    },
  });
  window.once('ready-to-show', () => window.show());

  ipcMain.handle(ipcChannels.call, async (event, method: unknown, input: unknown) => {
    if (!isAppFrame(event, window))
      return { ok: false, error: { code: 'UNAUTHORIZED', message: 'IPC from an unknown frame' } };
    if (typeof method !== 'string')
      return { ok: false, error: { code: 'VALIDATION', message: 'method must be a string' } };
    return station.dispatch(method, input);
  });
  for (const name of eventNames) {
    station.on(name, (payload: unknown) => {
      if (!window.isDestroyed()) window.webContents.send(ipcChannels.event, name, payload);
    });
  }

  station.start();
  app.on('window-all-closed', () => {
    void station.stop().then(() => app.quit());
  });
  await window.loadURL(`${APP_ORIGIN}/index.html`);
}

main().catch((err: unknown) => {
  process.stderr.write(`obf-station: error: ${err instanceof Error ? err.message : String(err)}\n`);
  app.exit(1);
});
