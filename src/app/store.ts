/**
 * The single source of what the page draws: one zustand vanilla store, fed by the node's events
 * and by the controller's actions. Views only read it.
 */
import { createStore } from 'zustand/vanilla';
import type { Identity } from '../browser/identity.js';
import type { CausalContext } from '../core/causal-context.js';
import type { MemberStatus } from '../core/membership.js';
import type { ReplicaView } from '../core/node.js';
import type { NodeId } from '../core/ports.js';
import type { Ring } from '../core/ring.js';
import type { VClock } from '../core/vclock.js';
import type { FaultState } from '../net/faults.js';
import type { SignalingStatus } from '../net/signaling-client.js';
import type { Cart } from './cart.js';
import type { Shown } from './member-status.js';
import type { NodeNames } from './node-names.js';
import { INITIAL_SCENARIO } from './scenario.js';

export interface MemberRow {
  readonly id: NodeId;
  readonly self: boolean;
  readonly status: MemberStatus;
  readonly reachable: boolean;
  readonly channel: 'open' | 'dialling' | 'closed' | 'self';
  readonly capacity: number;
  /** Tokens (strategy 1) or partitions (strategy 3) the node owns on the ring. */
  readonly tokens: number;
  readonly color: string;
  /** Its name in this room (A, B, C… in join order) and the ink that reads on its colour. */
  readonly name: string;
  readonly text: string;
  /** Its one status, as every view shows it (member-status.ts). */
  readonly shown: Shown;
  /** The member that removed this one (it signed the removal). */
  readonly removedBy?: NodeId;
  /** A node without a browser (`npm run node`), as it said on its proven channel. */
  readonly headless?: boolean;
}

export interface Sibling {
  readonly clock: VClock;
  readonly deleted: boolean;
  /** The event that made the version: its coordinator's actor and counter. */
  readonly dot: { readonly node: NodeId; readonly counter: number };
  readonly cart: Cart | { error: string; raw: string };
}

export interface CartState {
  readonly key: string;
  readonly siblings: readonly Sibling[] | null;
  readonly context: string | null;
  /** A read or a write of the cart is under way ("Working…"). */
  readonly busy: boolean;
  /** A write of the cart is under way: adding and removing wait for it (a read alone does not hold them up). */
  readonly writing?: boolean;
  readonly error: string | null;
  /** What the last action did, in a sentence (for example, which deleted items came back). */
  readonly notice: string | null;
  /** Why the last read failed, when that is no error to a person: nothing stored yet in a cluster too small for R. */
  readonly note?: string | null;
}

export interface Selection {
  readonly key: string;
  readonly replicas: readonly ReplicaView[] | null;
  /** The context a put would use now (from a quorum read), or why there is none. */
  readonly context: { context: CausalContext } | { error: string } | null;
  readonly loading: boolean;
}

export type LogLine = { readonly text: string; readonly tone?: 'ok' | 'bad' | 'warn' };

export interface LogEntry {
  readonly id: string;
  readonly time: number;
  readonly title: string;
  readonly key?: string;
  readonly nodes: readonly NodeId[];
  readonly lines: readonly LogLine[];
  readonly done: boolean;
}

export interface ScenarioState {
  readonly step: number;
  readonly key: string | null;
  readonly roles: { readonly Sx: NodeId; readonly Sy: NodeId; readonly Sz: NodeId } | null;
  readonly done: readonly { readonly sentence: string; readonly result: string }[];
  readonly busy: boolean;
  readonly error: string | null;
  /** The contexts the steps returned (D1, D2, ..., the read's), for the steps after them. */
  readonly contexts: Readonly<Record<string, string>>;
  /** The merged cart the read step computed, for D5. */
  readonly merged: string | null;
  /** Each actor's counters seen in this run, in order: the paper numbers events per key (scenario.ts). */
  readonly counters: Readonly<Record<string, readonly number[]>>;
}

export interface AppState {
  readonly self: NodeId;
  readonly room: string;
  readonly origin: Identity['origin'];
  readonly signaling: SignalingStatus;
  readonly members: readonly MemberRow[];
  readonly ring: Ring;
  readonly strategy: 1 | 3;
  readonly n: number;
  /** The member that last changed N (it signed the change), if any did. */
  readonly nBy?: NodeId;
  readonly r: number;
  readonly w: number;
  readonly keys: readonly string[];
  readonly selection: Selection | null;
  /** Fallbacks the latest request on the selected key used, by the owner they stood in for. */
  readonly fallbacks: ReadonlyMap<NodeId, NodeId>;
  readonly cart: CartState;
  readonly faults: FaultState;
  readonly log: readonly LogEntry[];
  /** Numbers the log's entries that are not a request's. */
  readonly logSerial: number;
  readonly logFilter: { readonly key: string; readonly node: string };
  readonly scenario: ScenarioState;
  readonly revivable: readonly NodeId[];
  readonly dropped: number;
  /** The member whose Remove button was pressed once and now asks for confirmation. */
  readonly confirmingRemove: NodeId | null;
  /** Names of the room's nodes (A, B, C…), shared with the other tabs and the cluster view. */
  readonly names: NodeNames;
  /** What the other tabs of this browser said of themselves: crashed, or closed. */
  readonly reports: ReadonlyMap<NodeId, 'crashed' | 'closed'>;
  /** Presentation mode: large type and a large ring, for a projector. */
  readonly present: boolean;
  /** Whether this tab follows partitions and heals that members on other machines send ("Follow the class's faults"). */
  readonly followClass: boolean;
  /** The groups of the partition the last "Partition…" made, until a heal. */
  readonly partition: readonly (readonly NodeId[])[] | null;
}

export type AppStore = ReturnType<typeof makeStore>;

/** What a page shows before its node has told it anything, given what it knows at once. */
export function initialState(
  known: Pick<
    AppState,
    'self' | 'room' | 'origin' | 'signaling' | 'ring' | 'strategy' | 'n' | 'r' | 'w' | 'faults' | 'names' | 'present' | 'followClass'
  >,
): AppState {
  return {
    ...known,
    members: [],
    keys: [],
    selection: null,
    fallbacks: new Map(),
    cart: { key: 'cart:shared', siblings: null, context: null, busy: false, error: null, notice: null },
    log: [],
    logSerial: 0,
    logFilter: { key: '', node: '' },
    scenario: INITIAL_SCENARIO,
    revivable: [],
    dropped: 0,
    confirmingRemove: null,
    reports: new Map(),
    partition: null,
  };
}

export function makeStore(initial: AppState) {
  return createStore<AppState>()(() => initial);
}

export const LOG_ENTRIES_MAX = 300;
