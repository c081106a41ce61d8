/**
 * `npm start`: the signaling/seed server and the app (Vite) on 127.0.0.1, in one command.
 *   --host H         (HOST, default 127.0.0.1) for both servers
 *   --port P         (PORT, default 5173) the app
 *   --signal-port S  (SIGNAL_PORT, default 8787) the signaling server
 *   --origin O       (SIGNAL_ORIGINS) more page origins whose browsers may use the signaling
 *                    server, besides the app's own (repeatable, or a comma list)
 * Every tab opened on the printed URL is one node; add ?room=NAME for another cluster.
 */
import type { AddressInfo } from 'node:net';
import { createServer } from 'vite';
import { option, optionList } from './options.js';
import { startSignalingServer } from './server.js';

const host = option('host', 'HOST', '127.0.0.1');
const signalPort = Number(option('signal-port', 'SIGNAL_PORT', '8787'));
// The app is built for the signaling port, and the signaling server lets in the app's origins: the app starts first.
process.env.VITE_SIGNAL_PORT = String(signalPort);
const vite = await createServer({ server: { host, port: Number(option('port', 'PORT', '5173')) } });
await vite.listen();
const appPort = (vite.httpServer?.address() as AddressInfo | null)?.port ?? vite.config.server.port;
const scheme = vite.config.server.https ? 'https' : 'http';
const hostInUrl = host.includes(':') ? `[${host}]` : host;
const origins = [
  ...new Set([
    ...[...(vite.resolvedUrls?.local ?? []), ...(vite.resolvedUrls?.network ?? [])].map((u) => new URL(u).origin),
    `${scheme}://${hostInUrl}:${appPort}`,
    ...(host === '127.0.0.1' || host === 'localhost' ? [`${scheme}://localhost:${appPort}`, `${scheme}://127.0.0.1:${appPort}`] : []),
    ...optionList('origin', 'SIGNAL_ORIGINS'),
  ]),
];
const signaling = await startSignalingServer({ host, port: signalPort, origins }).catch(async (e: unknown) => {
  await vite.close();
  throw e;
});
const url = vite.resolvedUrls?.local[0] ?? `${scheme}://${hostInUrl}:${appPort}/`;
console.log(`\n  Dynamo: open ${url} in several tabs; each tab is one node.`);
console.log(`  Signaling/seed server: ${signaling.url} (health: http://${signaling.host}:${signaling.port}/health)`);
console.log(`  Browsers may use it from: ${origins.join(', ')}`);
console.log(`  Simulator: ${url}sim.html\n`);

const stop = async () => {
  await vite.close();
  await signaling.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
