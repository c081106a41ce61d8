/**
 * A headless node's data directory (`--data DIR`): who the node is, and its database.
 *
 * - `DIR/node.json` (mode 0600): the node's key pair (the private key as PKCS #8 in PEM), its id
 *   (derived from the public key) and the room it belongs to: its name and the name the signaling
 *   server knows it by (tagged by the room's secret, when it has one). Written once, atomically
 *   (a temporary file, fsynced, renamed, the directory fsynced), and never rewritten.
 * - `DIR/db/`: the node's LevelDB database (storage/level.ts).
 *
 * Nothing here ever overwrites what a directory holds: a directory of another room's node, or
 * one that is not empty and holds no node at all, is refused with an error that says so.
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fromBase64Url, toBase64Url } from '../core/bytes.js';
import { generateNodeKeys, importNodeKeys, keyMatchesId, type NodeKeys, sign, verify } from '../identity/keys.js';
import type { RoomSecurity } from '../identity/room.js';

export const IDENTITY_FILE = 'node.json';
export const DATABASE_DIR = 'db';
const FORMAT = 'dynamo-node/1';

/** A data directory that cannot be used; the message is one line and says why. */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

interface IdentityFile {
  readonly format: string;
  readonly id: string;
  readonly room: string;
  readonly serverRoom: string;
  readonly publicKey: string;
  readonly privateKey: string;
}

/** What a data directory holds before the node starts. */
export interface FoundDir {
  readonly dir: string;
  /** The node it holds, if any (undefined: an empty or new directory). */
  readonly node?: { readonly id: string; readonly room: string; readonly serverRoom: string; readonly keys: NodeKeys };
}

function reason(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e.code ? `${e.code} (${e.message ?? ''})`.replace(/ \(\)$/, '') : String(e.message ?? error);
}

function pem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN PRIVATE KEY-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`;
}

function unpem(text: string): Uint8Array | null {
  const m = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/.exec(text);
  return m ? new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')) : null;
}

/** Fails unless a file can be created, synced and removed in `dir` (permissions, a read-only disk). */
async function checkWritable(dir: string): Promise<void> {
  const probe = join(dir, `.write-check-${process.pid}`);
  try {
    const file = await open(probe, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
    try {
      await file.write('ok');
      await file.sync();
    } finally {
      await file.close();
    }
    await unlink(probe);
  } catch (error) {
    throw new DataDirError(`--data ${dir} is not writable: ${reason(error)}`);
  }
}

/** Reads `node.json`, checking that its keys are whole and are the id's. */
async function readIdentity(dir: string): Promise<NonNullable<FoundDir['node']>> {
  const path = join(dir, IDENTITY_FILE);
  const damaged = (why: string) => new DataDirError(`${path} is damaged (${why}): refusing to start rather than become another node`);
  let parsed: Partial<IdentityFile>;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<IdentityFile>;
  } catch (error) {
    if ((error as { code?: string }).code === 'EACCES') throw new DataDirError(`cannot read ${path}: ${reason(error)}`);
    throw damaged('not JSON');
  }
  if (parsed.format !== FORMAT) throw damaged(`format is not ${FORMAT}`);
  const { id, room, serverRoom, publicKey, privateKey } = parsed;
  if (typeof id !== 'string' || typeof room !== 'string' || typeof serverRoom !== 'string') throw damaged('no id or room');
  const pub = typeof publicKey === 'string' ? fromBase64Url(publicKey) : null;
  const der = typeof privateKey === 'string' ? unpem(privateKey) : null;
  if (!pub || !keyMatchesId(pub, id)) throw damaged(`its public key is not ${id}'s`);
  if (!der) throw damaged('no private key');
  let keys: NodeKeys;
  try {
    keys = await importNodeKeys(der, pub);
  } catch {
    throw damaged('the private key does not import');
  }
  const probe = new TextEncoder().encode('dynamo-node/key-check');
  if (!(await verify(pub, probe, await sign(keys, probe)))) throw damaged('the private key is not the public key’s');
  return { id, room, serverRoom, keys };
}

/**
 * Looks at `--data DIR` before the node starts: creates it if it does not exist, checks that it
 * can be written, and reads the node it holds. Refuses a directory that is not empty but holds no
 * node (it would be someone else's files).
 */
export async function inspectDataDir(given: string): Promise<FoundDir> {
  const dir = resolve(given);
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) throw new DataDirError(`--data ${dir} is not a directory`);
  } catch (error) {
    if (error instanceof DataDirError) throw error;
    if ((error as { code?: string }).code !== 'ENOENT') throw new DataDirError(`cannot use --data ${dir}: ${reason(error)}`);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new DataDirError(`cannot create --data ${dir}: ${reason(e)}`);
    }
  }
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    throw new DataDirError(`cannot read --data ${dir}: ${reason(error)}`);
  }
  await checkWritable(dir);
  if (entries.includes(IDENTITY_FILE)) return { dir, node: await readIdentity(dir) };
  const other = entries.filter((e) => !e.startsWith('.write-check-'));
  if (other.length > 0) {
    throw new DataDirError(`--data ${dir} is not empty and holds no node (no ${IDENTITY_FILE}): refusing to write into it`);
  }
  return { dir };
}

/** Refuses a directory whose node belongs to another room (or to this room with another secret). */
export function checkRoom(found: FoundDir, security: RoomSecurity): void {
  const node = found.node;
  if (!node) return;
  if (node.room !== security.room) {
    throw new DataDirError(`--data ${found.dir} holds node ${node.id} of room "${node.room}", not of room "${security.room}"`);
  }
  if (node.serverRoom !== security.serverRoom) {
    throw new DataDirError(
      `--data ${found.dir} holds node ${node.id} of room "${node.room}" with ${node.serverRoom === node.room ? 'no secret' : 'another secret'}, not the one given`,
    );
  }
}

/** A new node in an empty directory: a fresh key pair, written with the room to `node.json` (0600). */
export async function createIdentity(dir: string, security: RoomSecurity): Promise<NodeKeys> {
  const keys = await generateNodeKeys(true);
  const der = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const content: IdentityFile = {
    format: FORMAT,
    id: keys.id,
    room: security.room,
    serverRoom: security.serverRoom,
    publicKey: toBase64Url(keys.publicKey),
    privateKey: pem(der),
  };
  const path = join(dir, IDENTITY_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    const file = await open(temporary, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
    try {
      await file.write(`${JSON.stringify(content, null, 2)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    // Never replaces a node.json that appeared meanwhile (another process starting on the same directory).
    try {
      await stat(path);
      throw new DataDirError(`--data ${dir} gained a ${IDENTITY_FILE} while this node was being created: start again`);
    } catch (error) {
      if (error instanceof DataDirError) throw error;
    }
    await rename(temporary, path);
    const handle = await open(dir, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    if (error instanceof DataDirError) throw error;
    throw new DataDirError(`cannot write ${path}: ${reason(error)}`);
  }
  return keys;
}

export function databasePath(dir: string): string {
  return join(dir, DATABASE_DIR);
}
