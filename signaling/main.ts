/**
 * Runs the signaling/seed server alone: `tsx signaling/main.ts [--host H] [--port P]`
 * (or SIGNAL_HOST / SIGNAL_PORT). Stops cleanly on SIGINT and SIGTERM.
 */

import { option } from './options.js';
import { startSignalingServer } from './server.js';

const server = await startSignalingServer({
  host: option('host', 'SIGNAL_HOST', '127.0.0.1'),
  port: Number(option('port', 'SIGNAL_PORT', '8787')),
  log: (line) => console.log(line),
});
console.log(`signaling server on ${server.url} (health: http://${server.host}:${server.port}/health)`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
