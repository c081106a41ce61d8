/**
 * In the page: one Dynamo node over this browser's real IndexedDB, started, stopped and started
 * again as a tab's node is (the same key, so the same id and database), with no peers: it is a
 * cluster of one. The test (full-disk.spec.ts) carries the key from one browser launch to the
 * next and shrinks the origin's quota from outside the page.
 */
import { cryptoRandom, wallClock } from '../src/browser/ports.js';
import { makeConfig } from '../src/core/config.js';
import { DynamoNode } from '../src/core/node.js';
import type { Transport } from '../src/core/ports.js';
import { generateNodeKeys, importNodeKeys, type NodeKeys, signerFor, webCryptoVerifier } from '../src/identity/keys.js';
import { DB_PREFIX, IndexedDbStorage } from '../src/storage/indexeddb.js';

/** No peers: nothing is sent anywhere, nothing arrives. */
const alone: Transport = { send: () => undefined, listen: () => () => undefined };
const config = makeConfig({ n: 1, r: 1, w: 1 });
const text = new TextDecoder();

let keys: NodeKeys | undefined;
let running: { node: DynamoNode; storage: IndexedDbStorage } | undefined;
const errors: string[] = [];

const failure = (e: unknown) => ({
  ok: false as const,
  code: (e as { code?: string }).code,
  message: e instanceof Error ? e.message : String(e),
});

/** A key pair as the test carries it from one browser launch to the next. */
export interface SavedKeys {
  readonly pkcs8: number[];
  readonly publicKey: number[];
}

async function currentKeys(): Promise<NodeKeys> {
  keys ??= await generateNodeKeys(true);
  return keys;
}

const fullDisk = {
  /** The node's key: the one saved by an earlier launch, or a new one; returned to be saved. */
  async keys(saved?: SavedKeys): Promise<SavedKeys & { id: string }> {
    if (saved) keys = await importNodeKeys(new Uint8Array(saved.pkcs8), new Uint8Array(saved.publicKey));
    const k = await currentKeys();
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', k.privateKey));
    return { id: k.id, pkcs8: [...pkcs8], publicKey: [...k.publicKey] };
  },
  /** Opens the node's database and starts the node on it, as a tab does. */
  async start(): Promise<{ ok: true } | ReturnType<typeof failure>> {
    try {
      const id = (await currentKeys()).id;
      const storage = await IndexedDbStorage.open(id);
      const node = await DynamoNode.start({
        id,
        config,
        storage,
        transport: alone,
        clock: wallClock,
        random: cryptoRandom,
        signer: signerFor(keys!),
        verifier: webCryptoVerifier,
        seeds: [],
      });
      node.on((e) => {
        if (e.type === 'error') errors.push(`${e.where}: ${e.message}`);
      });
      running = { node, storage };
      return { ok: true };
    } catch (e) {
      return failure(e);
    }
  },
  stop(): void {
    running?.node.stop();
    running?.storage.close();
    running = undefined;
  },
  async get(key: string): Promise<{ ok: true; values: string[]; context: string } | ReturnType<typeof failure>> {
    try {
      const read = await running!.node.get(key);
      return { ok: true, values: read.versions.map((v) => text.decode(v.value)), context: read.context };
    } catch (e) {
      return failure(e);
    }
  },
  async put(
    key: string,
    value: string,
    context?: string,
  ): Promise<{ ok: true; context: string; counter: number } | ReturnType<typeof failure>> {
    try {
      const written = await running!.node.put(key, new TextEncoder().encode(value), context);
      return { ok: true, context: written.context, counter: written.version.dot.counter };
    } catch (e) {
      return failure(e);
    }
  },
  /** What the database itself holds for `key`, read by a storage opened apart from the node's. */
  async stored(key: string): Promise<string[]> {
    const storage = await IndexedDbStorage.open((await currentKeys()).id);
    try {
      const { records } = await storage.load();
      return (records.find((r) => r.key === key)?.versions ?? []).map((v) => text.decode(v.value));
    } finally {
      storage.close();
    }
  },
  /** A write straight to the node's storage (no node involved): what the quota does to it. */
  async writeMeta(): Promise<{ ok: true } | ReturnType<typeof failure>> {
    const storage = await IndexedDbStorage.open((await currentKeys()).id);
    try {
      await storage.putMeta('probe', { at: Date.now() });
      return { ok: true };
    } catch (e) {
      return failure(e);
    } finally {
      storage.close();
    }
  },
  /** Whether a database that does not exist yet (a new node's) can be created now. */
  async newDatabase(): Promise<{ ok: true } | ReturnType<typeof failure>> {
    const name = `new-${Date.now()}`;
    try {
      (await IndexedDbStorage.open(name)).close();
      return { ok: true };
    } catch (e) {
      return failure(e);
    } finally {
      indexedDB.deleteDatabase(DB_PREFIX + name);
    }
  },
  /** Errors the node caught and reported (a write at start that the full disk refused, say). */
  errors: () => [...errors],
};

export type FullDisk = typeof fullDisk;
(window as unknown as { fullDisk: FullDisk }).fullDisk = fullDisk;
