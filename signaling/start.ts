/**
 * `npm start`: the signaling/seed server and the app (Vite), in one command.
 *   --host H         (HOST, default 127.0.0.1) where the app listens; 0.0.0.0 serves the LAN
 *   --port P         (PORT, default 5173) the app
 *   --signal-port S  (SIGNAL_PORT, default 8787) the signaling server
 *   --origin O       (SIGNAL_ORIGINS) more page origins whose browsers may use the signaling
 *                    server, besides the app's own (repeatable, or a comma list)
 * Every tab opened on the printed URL is one node; add ?room=NAME for another cluster.
 *
 * On 127.0.0.1 (the default) the app is plain http and the signaling server listens beside it.
 * On any other address (a classroom's LAN) the app is served over https with a self-signed
 * certificate, since browsers give WebCrypto and Web Locks only to secure contexts (http://localhost
 * counts as one, http://192.168.1.5 does not); the signaling server then listens on 127.0.0.1 only,
 * reached through the app's own origin at /signal, so students accept one certificate warning.
 * Every LAN URL is printed with a QR code to scan.
 */
import type { AddressInfo } from 'node:net';
import basicSsl from '@vitejs/plugin-basic-ssl';
import QRCode from 'qrcode';
import { createServer, type ViteDevServer } from 'vite';
import { option, optionList } from './options.js';
import { startSignalingServer } from './server.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
export const SIGNAL_PATH = '/signal';

function fail(message: string): never {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

const host = option('host', 'HOST', '127.0.0.1');
const appPort = Number(option('port', 'PORT', '5173'));
const signalPort = Number(option('signal-port', 'SIGNAL_PORT', '8787'));
if (!Number.isInteger(appPort) || appPort < 0 || appPort > 65535) fail(`--port ${option('port', 'PORT', '')} is not a port number`);
if (!Number.isInteger(signalPort) || signalPort < 0 || signalPort > 65535) fail('--signal-port is not a port number');
const lan = !LOOPBACK.has(host);

// The app is built for the signaling server's address, and the signaling server lets in the app's
// origins: the app starts first.
if (lan) process.env.VITE_SIGNAL_PATH = SIGNAL_PATH;
else process.env.VITE_SIGNAL_PORT = String(signalPort);
let vite: ViteDevServer;
try {
  vite = await createServer({
    plugins: lan ? [basicSsl({ name: 'dynamo-classroom' })] : [],
    server: {
      host,
      port: appPort,
      strictPort: true,
      ...(lan ? { proxy: { [SIGNAL_PATH]: { target: `ws://127.0.0.1:${signalPort}`, ws: true } } } : {}),
    },
  });
  await vite.listen();
} catch (e) {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EADDRNOTAVAIL') fail(`cannot listen on ${host}: no network interface of this machine has that address`);
  if (err.code === 'EADDRINUSE') fail(`port ${appPort} on ${host} is already in use (choose another with --port)`);
  if (err.code === 'EACCES') fail(`not allowed to listen on ${host}:${appPort}`);
  fail(`cannot start the app on ${host}:${appPort}: ${err.message}`);
}
const boundPort = (vite.httpServer?.address() as AddressInfo | null)?.port ?? appPort;
const scheme = lan ? 'https' : 'http';
const hostInUrl = host.includes(':') ? `[${host}]` : host;
const local = vite.resolvedUrls?.local ?? [];
const network = vite.resolvedUrls?.network ?? [];
const origins = [
  ...new Set([
    ...[...local, ...network].map((u) => new URL(u).origin),
    `${scheme}://${hostInUrl}:${boundPort}`,
    ...(lan ? [] : [`${scheme}://localhost:${boundPort}`, `${scheme}://127.0.0.1:${boundPort}`]),
    ...optionList('origin', 'SIGNAL_ORIGINS'),
  ]),
];
const signaling = await startSignalingServer({ host: lan ? '127.0.0.1' : host, port: signalPort, origins }).catch(async (e: unknown) => {
  await vite.close();
  const err = e as NodeJS.ErrnoException;
  fail(err.code === 'EADDRINUSE' ? `signaling port ${signalPort} is already in use (choose another with --signal-port)` : String(e));
});
const url = local[0] ?? `${scheme}://${hostInUrl}:${boundPort}/`;
console.log(`\n  Dynamo: open ${url} in several tabs; each tab is one node.`);
if (lan) {
  if (network.length === 0) console.log('  No LAN address found: only this machine can reach the app.');
  for (const u of network) {
    console.log(`\n  On the LAN: ${u}  (a self-signed certificate: accept the browser's warning once)`);
    console.log((await QRCode.toString(u, { type: 'terminal', small: true })).replace(/^/gm, '    '));
  }
  console.log(`  Signaling/seed server: 127.0.0.1:${signaling.port}, reached through ${SIGNAL_PATH} on the app's address`);
} else {
  console.log(`  Signaling/seed server: ${signaling.url} (health: http://${signaling.host}:${signaling.port}/health)`);
}
console.log(`  Browsers may use it from: ${origins.join(', ')}`);
console.log(`  Simulator: ${url}sim.html\n`);

const stop = async () => {
  await vite.close();
  await signaling.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
