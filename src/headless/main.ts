/**
 * `dynamo-node` (`npm run node -- …`): a headless Dynamo node in Node.js that joins a room of tabs.
 *
 *   dynamo-node --room R --data DIR [--signal ws://HOST:PORT] [--secret-file FILE] [--http [HOST:]PORT] [--follow-class]
 *
 * DIR holds the node's key pair and room (node.json) and its LevelDB database; started again on
 * the same DIR it is the same node with its data. A room's secret comes from --secret-file or the
 * DYNAMO_SECRET environment variable, never from the command line (which `ps` shows). It prints
 * one line once it has joined, logs errors to stderr, and stops cleanly on SIGINT and SIGTERM.
 * Bad input (options, a data directory it cannot use, a signaling server it cannot reach at start)
 * is one line on stderr and a non-zero exit, with nothing in DIR overwritten.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { parseArgs } from 'node:util';
import { ROOM_PATTERN } from '../../signaling/protocol.js';
import { DEFAULT_MAX_CHANNELS, parseChannelCap } from '../net/channels.js';
import type { HeadlessNode } from './headless-node.js';

const USAGE = `usage: dynamo-node --room ROOM --data DIR [--signal ws://HOST:PORT] [--secret-file FILE] [--http [HOST:]PORT] [--join-timeout SECONDS] [--channels N] [--follow-class]
  --room R          the room to join (letters, digits, _ or -); may be left out when DIR already holds a node
  --data DIR        where the node's key, room and data live (created if missing; must be empty or hold this room's node)
  --signal URL      the signaling/seed server (default ws://127.0.0.1:8787, or DYNAMO_SIGNAL)
  --secret-file F   the room's secret, read from a file (or the DYNAMO_SECRET environment variable)
  --http [H:]PORT   a local HTTP API for scripts and tests (127.0.0.1 unless H is given; 0 for any free port)
  --join-timeout S  give up when the signaling server cannot be reached within S seconds at start (default 5)
  --channels N      data channels to keep open at most (default 16); others are opened when needed
  --follow-class    follow the class's faults: a member's Partition… cuts this node off from the nodes outside its group, a heal ends it`;

/** Bad input: one line on stderr and this exit code. */
class Exit extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

const usage = (message: string) => new Exit(`${message} (see --help)`, 2);

function parse(argv: string[]) {
  // Refused before anything else: a secret on the command line is readable by every user through `ps`.
  if (argv.some((a) => a === '--secret' || a.startsWith('--secret='))) {
    throw usage('the secret may not be given on the command line, where ps shows it: use --secret-file FILE or DYNAMO_SECRET');
  }
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    throw usage(error instanceof Error ? error.message.split('\n')[0]! : String(error));
  }
  const v = parsed.values;
  if (v.help) return undefined;
  if (parsed.positionals.length > 0) throw usage(`unexpected argument "${parsed.positionals[0]}"`);
  if (!v.data) throw usage('--data DIR is required');
  if (v.room !== undefined && !ROOM_PATTERN.test(v.room)) throw usage(`"${v.room}" is not a valid room name (letters, digits, _ or -)`);
  const signal = v.signal ?? process.env.DYNAMO_SIGNAL ?? 'ws://127.0.0.1:8787';
  let signalUrl: URL;
  try {
    signalUrl = new URL(signal);
  } catch {
    throw usage(`--signal "${signal}" is not a URL`);
  }
  if (signalUrl.protocol !== 'ws:' && signalUrl.protocol !== 'wss:') throw usage(`--signal "${signal}" is not a ws:// or wss:// URL`);
  const joinTimeout = Number(v['join-timeout'] ?? '5');
  if (!Number.isFinite(joinTimeout) || joinTimeout <= 0) throw usage('--join-timeout must be a positive number of seconds');
  let channels = DEFAULT_MAX_CHANNELS;
  try {
    if (v.channels !== undefined) channels = parseChannelCap(v.channels);
  } catch (error) {
    throw usage(`--${(error as Error).message}`);
  }
  let http: { host: string; port: number } | undefined;
  if (v.http !== undefined) {
    const m = /^(?:(.+):)?(\d{1,5})$/.exec(v.http);
    const port = m ? Number(m[2]) : Number.NaN;
    if (!m || port > 65535) throw usage(`--http "${v.http}" is not [HOST:]PORT`);
    http = { host: m[1] ?? '127.0.0.1', port };
  }
  return {
    room: v.room,
    data: v.data,
    signal,
    secretFile: v['secret-file'],
    joinTimeoutMs: joinTimeout * 1000,
    http,
    channels,
    followClass: v['follow-class'] === true,
  };
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      room: { type: 'string' },
      data: { type: 'string' },
      signal: { type: 'string' },
      'secret-file': { type: 'string' },
      http: { type: 'string' },
      'join-timeout': { type: 'string' },
      channels: { type: 'string' },
      'follow-class': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function readSecret(file: string | undefined): string | undefined {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new Exit(`cannot read --secret-file ${file}: ${(error as { code?: string }).code ?? String(error)}`, 1);
    }
    const secret = text.replace(/\r?\n$/, '');
    if (!secret) throw new Exit(`--secret-file ${file} is empty`, 1);
    return secret;
  }
  return process.env.DYNAMO_SECRET || undefined;
}

async function main(argv: string[]): Promise<void> {
  const args = parse(argv);
  if (!args) {
    console.log(USAGE);
    return;
  }
  const secret = readSecret(args.secretFile);
  // Loaded only now, so that bad options are answered at once (WebRTC and LevelDB are native modules).
  const [
    { roomSecurity },
    { LevelStorage },
    { checkRoom, createIdentity, databasePath, inspectDataDir },
    { startHeadlessNode },
    { serveHttpApi },
  ] = await Promise.all([
    import('../identity/room.js'),
    import('../storage/level.js'),
    import('./data-dir.js'),
    import('./headless-node.js'),
    import('./http-api.js'),
  ]);
  const found = await inspectDataDir(args.data);
  const room = args.room ?? found.node?.room;
  if (!room) throw usage(`--room is required: ${found.dir} holds no node yet`);
  const security = await roomSecurity(room, secret);
  checkRoom(found, security);
  const keys = found.node?.keys ?? (await createIdentity(found.dir, security));
  const storage = await LevelStorage.open(databasePath(found.dir));
  const closeStorage = async () => {
    storage.close();
    await storage.whenClosed();
  };
  let hn: HeadlessNode;
  try {
    hn = await startHeadlessNode({
      keys,
      security,
      signalingUrl: args.signal,
      storage,
      log: (line) => console.error(`dynamo-node: ${line}`),
      maxChannels: args.channels,
      followClass: args.followClass,
    });
  } catch (error) {
    await closeStorage();
    throw error;
  }
  let api: { server: Server; url: string } | undefined;
  try {
    await hn.joined(args.joinTimeoutMs);
    if (args.http) api = await serveHttpApi(hn, args.http.host, args.http.port);
  } catch (error) {
    hn.stop();
    await closeStorage();
    throw error;
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    hn.stop();
    api?.server.close();
    await closeStorage();
    console.log(`stopped ${hn.id} (${signal})`);
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(signal));
  console.log(
    `joined room ${room} as ${hn.id}${found.node ? '' : ' (a new node)'} via ${args.signal}, data in ${found.dir}${api ? `, API on ${api.url}` : ''}`,
  );
}

process.on('uncaughtException', (error) => {
  console.error(`dynamo-node: uncaught error: ${error.message}`);
  process.exit(1);
});

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`dynamo-node: ${message.split('\n')[0]}`);
  process.exit(error instanceof Exit ? error.code : 1);
});
