/**
 * The four ports through which the core reaches the world. The simulator and the browser supply
 * different implementations; the protocol code is the same in both.
 */
import type { DropReason } from './protocol.js';
import type { KeyRecord } from './version.js';

export type NodeId = string;

/** Time and timers. The simulator's clock is virtual; the browser's is the wall clock. */
export interface Clock {
  now(): number;
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  setTimeout(fn: () => void, ms: number): () => void;
}

/** Uniform numbers in [0, 1). Seeded in the simulator. */
export interface Random {
  next(): number;
}

/** Where a transport hands what arrives. */
export interface TransportReceiver {
  /** A frame from a peer, not yet decoded or trusted. */
  frame(from: NodeId, bytes: Uint8Array): void;
  /** A frame the transport itself refused (too large, broken chunking), for the node to count. */
  dropped(from: NodeId, reason: DropReason, detail: string): void;
  /**
   * An error inside the transport itself (this node's fault, not a peer's frame), caught so that it
   * never escapes a channel's handler: for the node to count and say, as any error caught inside it.
   */
  failed(where: string, error: unknown): void;
}

/**
 * Carries encoded messages between nodes. Delivery is best effort: a frame may be lost, delayed,
 * or (on some transports) duplicated or reordered; what arrives is what was sent.
 */
export interface Transport {
  send(to: NodeId, bytes: Uint8Array): void;
  /** Hands frames that arrive to `receiver` until the returned function is called. */
  listen(receiver: TransportReceiver): () => void;
}

/**
 * This node's key: its public half, and signing with the private half (which never leaves the
 * signer). The node id is derived from the public key (Verifier.idOf), so only the holder of the
 * key can speak as the node. WebCrypto in a tab and in Node.js; an ideal scheme in the simulator.
 */
export interface Signer {
  readonly publicKey: Uint8Array;
  sign(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** How anyone checks what a key signed, and which node id a key speaks for. */
export interface Verifier {
  idOf(publicKey: Uint8Array): NodeId;
  /** Never throws: a malformed key or signature is simply not valid. */
  verify(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean | Promise<boolean>;
}

export interface HintRecord extends KeyRecord {
  /** The node the versions were meant for. */
  readonly target: NodeId;
}

/** Names the hint of `key` held for `target`: one per pair, in a store and on a disk. */
export function hintKey(target: NodeId, key: string): string {
  return `${target}\u0000${key}`;
}

export interface StoredState {
  readonly records: KeyRecord[];
  readonly hints: HintRecord[];
  readonly meta: ReadonlyMap<string, unknown>;
}

/**
 * Durable storage of one node. A returned promise resolves only once the data is durable; a write
 * that fails (for example, quota exceeded) rejects and leaves the previous value in place.
 */
export interface Storage {
  load(): Promise<StoredState>;
  putRecord(record: KeyRecord): Promise<void>;
  deleteRecord(key: string): Promise<void>;
  putHint(hint: HintRecord): Promise<void>;
  deleteHint(target: NodeId, key: string): Promise<void>;
  /** Small JSON-compatible values: this node's tokens, the membership it last knew. */
  putMeta(name: string, value: unknown): Promise<void>;
  /** Ends this storage's use: later calls reject. Its data stays for the next `open` of the same node. */
  close(): void;
}
