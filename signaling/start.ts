/**
 * `npm start`: the signaling/seed server and the app (Vite) on 127.0.0.1, in one command.
 *   --host H         (HOST, default 127.0.0.1) for both servers
 *   --port P         (PORT, default 5173) the app
 *   --signal-port S  (SIGNAL_PORT, default 8787) the signaling server
 * Every tab opened on the printed URL is one node; add ?room=NAME for another cluster.
 */
import { createServer } from 'vite';
import { option } from './options.js';
import { startSignalingServer } from './server.js';

const host = option('host', 'HOST', '127.0.0.1');
const signaling = await startSignalingServer({ host, port: Number(option('signal-port', 'SIGNAL_PORT', '8787')) });
process.env.VITE_SIGNAL_PORT = String(signaling.port);
const vite = await createServer({ server: { host, port: Number(option('port', 'PORT', '5173')) } });
await vite.listen();
const url = vite.resolvedUrls?.local[0] ?? `http://${host}:${vite.config.server.port}/`;
console.log(`\n  Dynamo: open ${url} in several tabs; each tab is one node.`);
console.log(`  Signaling/seed server: ${signaling.url} (health: http://${signaling.host}:${signaling.port}/health)`);
console.log(`  Simulator: ${url}sim.html\n`);

const stop = async () => {
  await vite.close();
  await signaling.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
