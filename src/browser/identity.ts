/**
 * Tab identity. A tab keeps its node id in sessionStorage, so a reload comes back as the same
 * node, and holds a Web Lock named after it for as long as it lives. A duplicated tab copies the
 * sessionStorage but cannot take the lock, so it becomes a new node instead of a second copy.
 * `?node=ID` starts (revives) a node whose tab was closed, if no live tab holds it.
 */
import { NODE_ID_PATTERN, ROOM_PATTERN } from '../../signaling/protocol.js';

const SESSION_KEY = 'dynamo-node-id';
const LOCK_PREFIX = 'dynamo-node:';

export interface Identity {
  readonly id: string;
  /** How the id was chosen, for the page to say. */
  readonly origin: 'reload' | 'revived' | 'new' | 'duplicate';
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

export function newNodeId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(3));
  return `node-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export async function claimIdentity(params: URLSearchParams, storage: globalThis.Storage = sessionStorage): Promise<Identity> {
  const asked = params.get('node');
  if (asked !== null && !NODE_ID_PATTERN.test(asked)) throw new Error(`"${asked}" is not a valid node id`);
  const remembered = storage.getItem(SESSION_KEY);
  const wanted = asked ?? remembered;
  let identity: Identity | undefined;
  if (wanted && (await tryLock(wanted))) identity = { id: wanted, origin: asked && asked !== remembered ? 'revived' : 'reload' };
  while (!identity) {
    const id = newNodeId();
    if (await tryLock(id)) identity = { id, origin: wanted ? 'duplicate' : 'new' };
  }
  storage.setItem(SESSION_KEY, identity.id);
  return identity;
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

/** The signaling server: `?signal=ws://…`, else the same host on the port the app was built for. */
export function signalingUrl(params: URLSearchParams, location: Location): string {
  const given = params.get('signal');
  if (given) return given;
  const port = (import.meta.env.VITE_SIGNAL_PORT as string | undefined) ?? '8787';
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.hostname}:${port}`;
}
