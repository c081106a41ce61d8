/**
 * In the page: a tab as a Dynamo node without the node page (no views, no log, no cluster feed),
 * as main.ts starts it, with timing hooks for the benchmark's breakdown of a put (`benchTrace`)
 * and the floor measured in the same tabs (`benchFloor`): an IndexedDB put in a transaction of
 * its own, and a round trip over a plain data channel.
 */
import { automation } from '../src/browser/automation.js';
import { startBrowserNode } from '../src/browser/browser-node.js';
import { claimIdentity, roomFrom, signalingUrl } from '../src/browser/identity.js';
import type { Transport } from '../src/core/ports.js';
import { decodeMessage, encodeMessage } from '../src/core/protocol.js';
import { roomSecurity } from '../src/identity/room.js';
import { IndexedDbStorage } from '../src/storage/indexeddb.js';

/** One timed step: what, on which key or peer, from `t0` to `t1` (ms on the clock all tabs share). */
export interface Mark {
  readonly what: 'idb' | 'send' | 'recv' | 'event';
  readonly t0: number;
  readonly t1: number;
  readonly key?: string;
  readonly peer?: string;
  readonly bytes?: Uint8Array;
  readonly type?: string;
}

const now = () => performance.timeOrigin + performance.now();
const trace = { on: false, marks: [] as Mark[] };

function tap(transport: Transport): Transport {
  return {
    // Untraced, a frame costs the nodes nothing more than a look at `trace.on`.
    send: (to, bytes) => {
      if (!trace.on) return transport.send(to, bytes);
      const t0 = now();
      transport.send(to, bytes);
      trace.marks.push({ what: 'send', t0, t1: now(), peer: to, bytes });
    },
    listen: (receiver) =>
      transport.listen({
        frame: (from, bytes) => {
          if (!trace.on) return receiver.frame(from, bytes);
          const t0 = now();
          receiver.frame(from, bytes);
          trace.marks.push({ what: 'recv', t0, t1: now(), peer: from, bytes });
        },
        dropped: (from, reason, detail) => receiver.dropped(from, reason, detail),
        failed: (where, error) => receiver.failed(where, error),
      }),
  };
}

const params = new URLSearchParams(location.search);
const started = (async () => {
  const room = roomFrom(params);
  const security = await roomSecurity(room, undefined);
  const identity = await claimIdentity(params, security.serverRoom);
  const storage = identity.storage;
  const putRecord = storage.putRecord.bind(storage);
  storage.putRecord = async (record) => {
    if (!trace.on) return putRecord(record);
    const t0 = now();
    await putRecord(record);
    trace.marks.push({ what: 'idb', t0, t1: now(), key: record.key });
  };
  const bn = await startBrowserNode({
    id: identity.id,
    keys: identity.keys,
    storage,
    room,
    security,
    signalingUrl: signalingUrl(params, location),
    wrapTransport: tap,
  });
  bn.node.on((e) => {
    if (trace.on && (e.type === 'op-start' || e.type === 'op-reply' || e.type === 'op-done' || e.type === 'stored'))
      trace.marks.push({ what: 'event', t0: now(), t1: now(), type: e.type, ...('key' in e ? { key: e.key } : {}) });
  });
  return bn;
})();
window.dynamo = automation(started);

/** The typed messages of traced frames, and what decoding (with validation) and encoding a write or its reply costs here. */
function decoded(marks: readonly Mark[]): (Omit<Mark, 'bytes'> & { t?: string; decodeUs?: number; encodeUs?: number })[] {
  return marks.map(({ bytes, ...m }) => {
    if (!bytes) return m;
    const d = decodeMessage(bytes);
    if (!d.ok) return m;
    const msg = d.message as { t: string; key?: string; record?: { key: string } };
    const key = msg.key ?? msg.record?.key ?? m.key;
    if (msg.t !== 'write' && msg.t !== 'write-reply') return { ...m, t: msg.t, ...(key ? { key } : {}) };
    const rounds = 100;
    let t0 = performance.now();
    for (let i = 0; i < rounds; i++) decodeMessage(bytes);
    const decodeUs = ((performance.now() - t0) / rounds) * 1000;
    t0 = performance.now();
    for (let i = 0; i < rounds; i++) encodeMessage(d.message);
    const encodeUs = ((performance.now() - t0) / rounds) * 1000;
    return { ...m, t: msg.t, ...(key ? { key } : {}), decodeUs, encodeUs };
  });
}

// ---- the floor: a plain data channel and a plain IndexedDB put, in the same tabs ----

let raw: { pc: RTCPeerConnection; channel: Promise<RTCDataChannel> } | undefined;

async function gathered(pc: RTCPeerConnection): Promise<RTCSessionDescriptionInit> {
  if (pc.iceGatheringState !== 'complete')
    await new Promise<void>((r) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r()));
  return { type: pc.localDescription!.type, sdp: pc.localDescription!.sdp };
}

function echo(channel: RTCDataChannel): void {
  channel.binaryType = 'arraybuffer';
  channel.onmessage = (e) => channel.send(e.data as ArrayBuffer);
}

const floor = {
  async offer(): Promise<RTCSessionDescriptionInit> {
    const pc = new RTCPeerConnection({ iceServers: [] });
    const dc = pc.createDataChannel('floor');
    dc.binaryType = 'arraybuffer';
    raw = { pc, channel: new Promise((r) => (dc.onopen = () => r(dc))) };
    await pc.setLocalDescription(await pc.createOffer());
    return gathered(pc);
  },
  async answer(offer: RTCSessionDescriptionInit): Promise<RTCSessionDescriptionInit> {
    const pc = new RTCPeerConnection({ iceServers: [] });
    raw = {
      pc,
      channel: new Promise((r) => {
        pc.ondatachannel = (e) => {
          echo(e.channel);
          r(e.channel);
        };
      }),
    };
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription(await pc.createAnswer());
    return gathered(pc);
  },
  async accept(answer: RTCSessionDescriptionInit): Promise<void> {
    await raw!.pc.setRemoteDescription(answer);
    await raw!.channel;
  },
  /** Round trips of `size` bytes, one after another, over the plain channel (the other side echoes). */
  async roundTrips(count: number, size: number): Promise<number[]> {
    const dc = await raw!.channel;
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await new Promise<void>((r) => {
        dc.onmessage = () => r();
        dc.send(crypto.getRandomValues(new Uint8Array(size)));
      });
      out.push(performance.now() - t0);
    }
    return out;
  },
  /**
   * IndexedDB puts of `size` bytes, each in a transaction of its own, with the given durability:
   * into one database, or at once into `databases` of them (as the replicas of a put, all of one
   * origin on this machine, write at once), timed until all are done.
   */
  async idbPuts(count: number, size: number, durability: IDBTransactionDurability, databases = 1): Promise<number[]> {
    const open = (name: string) =>
      new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open(name, 1);
        req.onupgradeneeded = () => req.result.createObjectStore('records', { keyPath: 'key' });
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    const dbs = await Promise.all(Array.from({ length: databases }, (_, i) => open(`bench-floor-${i}`)));
    const put = (db: IDBDatabase, key: string, value: Uint8Array) =>
      new Promise<void>((resolve, reject) => {
        const tx = db.transaction('records', 'readwrite', { durability });
        tx.objectStore('records').put({ key, value });
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const value = crypto.getRandomValues(new Uint8Array(size));
      const t0 = performance.now();
      await Promise.all(dbs.map((db) => put(db, `k${i % 200}`, value)));
      out.push(performance.now() - t0);
    }
    for (const db of dbs) db.close();
    return out;
  },
  /**
   * The same puts as records through the node's own storage (src/storage/indexeddb.ts), in a
   * database of their own: `together` at once (a burst, for group commit), one burst after another.
   */
  async storagePuts(count: number, size: number, together = 1): Promise<number[]> {
    const storage = await IndexedDbStorage.open(`bench-floor-${Math.random().toString(36).slice(2)}`);
    const out: number[] = [];
    for (let i = 0; i < count; i += together) {
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: together }, (_, j) =>
          storage
            .putRecord({
              key: `k${(i + j) % 200}`,
              versions: [
                {
                  dot: { node: 'a~0', counter: i + j + 1 },
                  clock: [],
                  value: crypto.getRandomValues(new Uint8Array(size)),
                  deleted: false,
                  time: 0,
                },
              ],
              seen: [],
            } as never)
            .then(() => out.push(performance.now() - t0)),
        ),
      );
    }
    storage.close();
    return out;
  },
};

Object.assign(window, {
  benchFloor: floor,
  benchTrace: {
    start: () => {
      trace.marks = [];
      trace.on = true;
    },
    stop: () => {
      trace.on = false;
      return decoded(trace.marks);
    },
    now,
  },
});
