/**
 * Tab identity. A node is its key pair (identity/keys.ts): its id is derived from the public key,
 * and the key pair (the private half not extractable) is kept in the node's own IndexedDB
 * database, with its data. A tab keeps its node id in sessionStorage, so a reload comes back as
 * the same node, and holds a Web Lock named after it for as long as it lives. A duplicated tab
 * copies the sessionStorage but cannot take the lock, so it becomes a new node instead of a second
 * copy. `?node=ID` starts (revives) a node whose tab was closed, if no live tab holds it and its
 * database still holds its key.
 */

import { ROOM_PATTERN } from '../../signaling/protocol.js';
import { generateNodeKeys, KEY_NODE_ID, keyMatchesId, type NodeKeys } from '../identity/keys.js';
import { parseChannelCap } from '../net/channels.js';
import { IndexedDbStorage } from '../storage/indexeddb.js';

const SESSION_KEY = 'dynamo-node-id';
const LOCK_PREFIX = 'dynamo-node:';
const KEYS_META = 'node-keys';

export interface Identity {
  readonly id: string;
  readonly keys: NodeKeys;
  /** The node's storage, already open (it holds the keys). */
  readonly storage: IndexedDbStorage;
  /** How the id was chosen, for the page to say. */
  readonly origin: 'reload' | 'revived' | 'new' | 'duplicate';
  /** Why the key pair could not be stored, when it could not (a full disk): the node lives only as long as this tab. */
  readonly unsaved?: string;
}

/** Takes the lock for `id` if no other tab holds it; keeps it until this tab closes. */
function tryLock(id: string): Promise<boolean> {
  return new Promise((resolve) => {
    void navigator.locks.request(LOCK_PREFIX + id, { ifAvailable: true }, (lock) => {
      if (!lock) {
        resolve(false);
        return undefined;
      }
      resolve(true);
      return new Promise<never>(() => undefined);
    });
  });
}

/**
 * The keys stored in node `id`'s database, if they are that node's and the node belongs to
 * `room` (as the signaling server knows it: a room with a secret has its own name). A node's data
 * never goes into another room: a tab reloaded without the room's secret, or pointed at another
 * room, becomes a new node.
 */
async function storedKeys(id: string, room: string): Promise<{ keys: NodeKeys; storage: IndexedDbStorage } | 'other-room' | undefined> {
  const storage = await IndexedDbStorage.open(id);
  const stored = (await storage.getMeta(KEYS_META)) as { publicKey?: unknown; privateKey?: unknown; room?: unknown } | undefined;
  const publicKey = stored?.publicKey;
  const privateKey = stored?.privateKey;
  if (publicKey instanceof Uint8Array && privateKey instanceof CryptoKey && keyMatchesId(publicKey, id)) {
    if (stored?.room === room) return { keys: { id, publicKey, privateKey }, storage };
    storage.close();
    return 'other-room';
  }
  storage.close();
  return undefined;
}

/** This tab's node in `room` (the room's name on the signaling server, tagged by its secret if it has one). */
export async function claimIdentity(
  params: URLSearchParams,
  room: string,
  session: globalThis.Storage = sessionStorage,
): Promise<Identity> {
  const asked = params.get('node');
  if (asked !== null && !KEY_NODE_ID.test(asked)) throw new Error(`"${asked}" is not a valid node id (node- and 24 hex digits)`);
  const remembered = session.getItem(SESSION_KEY);
  const wanted = asked ?? (remembered && KEY_NODE_ID.test(remembered) ? remembered : null);
  if (wanted && (await tryLock(wanted))) {
    const found = await storedKeys(wanted, room);
    if (found && found !== 'other-room') {
      session.setItem(SESSION_KEY, wanted);
      return { id: wanted, ...found, origin: asked && asked !== remembered ? 'revived' : 'reload' };
    }
    if (asked && found === 'other-room')
      throw new Error(`node ${asked} belongs to another room (or the room's secret is missing from the address)`);
    if (asked) throw new Error(`node ${asked} has no key in this browser: it cannot be revived here`);
  }
  const keys = await generateNodeKeys();
  if (!(await tryLock(keys.id))) throw new Error(`a new node id ${keys.id} is already locked`);
  const storage = await IndexedDbStorage.open(keys.id);
  let unsaved: string | undefined;
  try {
    await storage.putMeta(KEYS_META, { publicKey: keys.publicKey, privateKey: keys.privateKey, room });
  } catch (e) {
    unsaved = e instanceof Error ? e.message : String(e);
  }
  session.setItem(SESSION_KEY, keys.id);
  return { id: keys.id, keys, storage, origin: wanted ? 'duplicate' : 'new', ...(unsaved ? { unsaved } : {}) };
}

/** Node ids whose lock some open tab of this origin holds. */
export async function liveNodeIds(): Promise<Set<string>> {
  const state = await navigator.locks.query();
  return new Set((state.held ?? []).flatMap((l) => (l.name?.startsWith(LOCK_PREFIX) ? [l.name.slice(LOCK_PREFIX.length)] : [])));
}

export function roomFrom(params: URLSearchParams): string {
  const room = params.get('room') ?? 'default';
  if (!ROOM_PATTERN.test(room)) throw new Error(`"${room}" is not a valid room name (letters, digits, _ or -)`);
  return room;
}

/**
 * STUN/TURN servers from the URL fragment (`#ice=stun:host:3478,turn:user:pass@host:3478`), for
 * networks beyond a LAN: none by default. In the fragment, TURN credentials never reach a server.
 */
export function iceServersFrom(hash: string): RTCIceServer[] {
  const given = new URLSearchParams(hash.replace(/^#/, '')).get('ice');
  if (!given) return [];
  return given.split(',').map((entry) => {
    const m = /^(turns?):([^:@]+):([^@]+)@(.+)$/.exec(entry.trim());
    if (m) return { urls: `${m[1]}:${m[4]}`, username: decodeURIComponent(m[2]!), credential: decodeURIComponent(m[3]!) };
    if (!/^(stun|turns?):/.test(entry.trim())) throw new Error(`"${entry}" is not a stun: or turn: address`);
    return { urls: entry.trim() };
  });
}

/** The most channels this tab keeps open (`?channels=N`; 16 when not given). */
export function channelsFrom(params: URLSearchParams): number | undefined {
  const given = params.get('channels');
  return given === null ? undefined : parseChannelCap(given);
}

/** The room's secret, from the URL fragment (`#secret=…`), which the browser never sends to any server. */
export function secretFrom(hash: string): string | undefined {
  const secret = new URLSearchParams(hash.replace(/^#/, '')).get('secret');
  return secret ? secret : undefined;
}

/**
 * The signaling server: `?signal=ws://…`; else, when the app was served for a LAN (`npm start --
 * --host 0.0.0.0`), a path on the app's own origin; else the same host on the port the app was built for.
 */
export function signalingUrl(params: URLSearchParams, location: Location): string {
  const given = params.get('signal');
  if (given) return given;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const path = import.meta.env.VITE_SIGNAL_PATH as string | undefined;
  if (path) return `${scheme}://${location.host}${path}`;
  const port = (import.meta.env.VITE_SIGNAL_PORT as string | undefined) ?? '8787';
  return `${scheme}://${location.hostname}:${port}`;
}

/** The address to join this room from another machine: this page's, with the room, and the fragment (its secret, ICE servers) as given. */
export function joinUrl(location: Location, room: string): string {
  const params = new URLSearchParams({ room });
  const signal = new URLSearchParams(location.search).get('signal');
  if (signal) params.set('signal', signal);
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const kept = new URLSearchParams([...fragment].filter(([name]) => name === 'secret' || name === 'ice'));
  return `${location.origin}${location.pathname}?${params}${kept.size > 0 ? `#${kept}` : ''}`;
}
