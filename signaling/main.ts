/**
 * Runs the signaling/seed server alone: `tsx signaling/main.ts [--host H] [--port P] [--origin O]`
 * (or SIGNAL_HOST / SIGNAL_PORT / SIGNAL_ORIGINS). `--origin` (repeatable, or a comma list) names
 * the page origins, like `http://app.example:5173`, whose browsers may connect; without it, a
 * browser may connect when its page's hostname is the one it reached this server by. Stops
 * cleanly on SIGINT and SIGTERM.
 */

import { option, optionList } from './options.js';
import { startSignalingServer } from './server.js';

const origins = optionList('origin', 'SIGNAL_ORIGINS');
const server = await startSignalingServer({
  host: option('host', 'SIGNAL_HOST', '127.0.0.1'),
  port: Number(option('port', 'SIGNAL_PORT', '8787')),
  ...(origins.length > 0 ? { origins } : {}),
  log: (line) => console.log(line),
});
console.log(`signaling server on ${server.url} (health: http://${server.host}:${server.port}/health)`);
if (origins.length > 0) console.log(`browsers may connect from ${origins.join(', ')}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
