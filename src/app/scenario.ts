/**
 * The paper's Figure 3, replayed step by step on the live cluster. A fresh key is chosen; its top
 * three replicas play Sx, Sy and Sz; each step makes the real request (coordinated by the node
 * the paper names) and shows the clock the cluster actually produced.
 */
import { actorNode, type VClock } from '../core/vclock.js';
import { type Cart, decodeCart, encodeCart, isCart, mergeCarts } from './cart.js';
import type { Controller } from './controller.js';
import type { ScenarioState } from './store.js';

type Roles = NonNullable<ScenarioState['roles']>;

interface Step {
  readonly sentence: (roles: Roles) => string;
  readonly run: (ctx: StepContext) => Promise<string>;
}

interface StepContext {
  readonly c: Controller;
  readonly key: string;
  readonly roles: Roles;
  /** The scenario as the store holds it now. */
  state(): ScenarioState;
  set(changes: Partial<ScenarioState>): void;
}

export const INITIAL_SCENARIO: ScenarioState = {
  step: 0,
  key: null,
  roles: null,
  done: [],
  busy: false,
  error: null,
  contexts: {},
  merged: null,
  counters: {},
};

/**
 * A node's counter is shared by all its keys, so on the live cluster Sx's events on this key may
 * be (Sx,37) and (Sx,38). The paper numbers each node's events on the one key it shows: an
 * event's paper number is its rank among the node's events of this run.
 */
export function withCounter(counters: ScenarioState['counters'], dot: { node: string; counter: number }): ScenarioState['counters'] {
  const list = counters[dot.node] ?? [];
  return list.includes(dot.counter) ? counters : { ...counters, [dot.node]: [...list, dot.counter].sort((a, b) => a - b) };
}

function paperNumber(counters: ScenarioState['counters'], actor: string, counter: number): number {
  const at = counters[actor]?.indexOf(counter) ?? -1;
  return at < 0 ? counter : at + 1;
}

const cart = (...items: string[]): Cart => ({ items, removed: [] });

/** A clock in the paper's notation, with the role names and the paper's numbers: ([Sx,2],[Sy,1]). */
export function paperClock(clock: VClock, roles: Roles, counters: ScenarioState['counters']): string {
  const name = new Map(Object.entries(roles).map(([role, id]) => [id, role]));
  const named = clock.map((e) => ({
    name: name.get(actorNode(e.node)) ?? actorNode(e.node),
    counter: paperNumber(counters, e.node, e.counter),
  }));
  named.sort((a, b) => (a.name < b.name ? -1 : 1)); // Sx, Sy, Sz, as the paper writes them
  return `(${named.map((e) => `[${e.name},${e.counter}]`).join(',')})`;
}

async function put(ctx: StepContext, label: string, value: Cart, context: string | undefined, coordinator: string): Promise<string> {
  const r = await ctx.c.bn.node.put(ctx.key, encodeCart(value), context, { coordinator, w: ctx.c.store.getState().w });
  const { contexts, counters } = ctx.state();
  const next = withCounter(counters, r.version.dot);
  ctx.set({ contexts: { ...contexts, [label]: r.context }, counters: next });
  return `${label}${paperClock(r.clock, ctx.roles, next)}: ${value.items.join(', ')}`;
}

const contextOf = (ctx: StepContext, label: string) => ctx.state().contexts[label];

export const STEPS: readonly Step[] = [
  {
    sentence: (r) => `A client writes a new object. The node that handles it, Sx (${r.Sx}), increments its counter: version D1.`,
    run: (ctx) => put(ctx, 'D1', cart('book'), undefined, ctx.roles.Sx),
  },
  {
    sentence: () => 'The client updates the object, passing D1’s context. Sx handles it again: D2 descends from D1 and overwrites it.',
    run: (ctx) => put(ctx, 'D2', cart('book', 'pen'), contextOf(ctx, 'D1'), ctx.roles.Sx),
  },
  {
    sentence: (r) => `The client updates it again, from D2’s context; this time Sy (${r.Sy}) handles the request: D3.`,
    run: (ctx) => put(ctx, 'D3', cart('book', 'pen', 'ink'), contextOf(ctx, 'D2'), ctx.roles.Sy),
  },
  {
    sentence: (r) =>
      `Another client read D2 and updates it too; Sz (${r.Sz}) handles it: D4. D3 and D4 each have a counter the other lacks: they are concurrent.`,
    run: (ctx) => put(ctx, 'D4', cart('book', 'pen', 'lamp'), contextOf(ctx, 'D2'), ctx.roles.Sz),
  },
  {
    sentence: () =>
      'A client reads the object. Neither version descends from the other, so the read returns both, with a context that summarises them.',
    run: async (ctx) => {
      const read = await ctx.c.bn.node.get(ctx.key, { r: ctx.c.store.getState().r });
      const carts = read.versions.flatMap((v) => {
        const c = decodeCart(v.value);
        return isCart(c) ? [c] : [];
      });
      ctx.set({ contexts: { ...ctx.state().contexts, read: read.context }, merged: JSON.stringify(mergeCarts(carts).cart) });
      const shown = read.versions.map((v) => `${paperClock(v.clock, ctx.roles, ctx.state().counters)}`).join(' and ');
      return `${read.versions.length} versions: ${shown}`;
    },
  },
  {
    sentence: () =>
      'The client reconciles the two (here by union of the items) and writes with that context; Sx coordinates: D5 supersedes D3 and D4.',
    run: (ctx) => put(ctx, 'D5', JSON.parse(ctx.state().merged!) as Cart, contextOf(ctx, 'read'), ctx.roles.Sx),
  },
];

/** The scenario's actions; everything it remembers is in the store. */
export class Scenario {
  constructor(private readonly c: Controller) {}

  private set(changes: Partial<ScenarioState>): void {
    this.c.store.setState((s) => ({ scenario: { ...s.scenario, ...changes } }));
  }

  reset(): void {
    this.set(INITIAL_SCENARIO);
  }

  async next(): Promise<void> {
    const state = this.c.store.getState().scenario;
    if (state.busy || state.step >= STEPS.length) return;
    let { key, roles } = state;
    if (!key || !roles) {
      key = `figure3-${Math.random().toString(36).slice(2, 7)}`;
      const top = this.c.bn.node.preferenceList(key, 3);
      if (top.length < 3) {
        this.set({ error: 'Figure 3 needs three nodes: open more tabs on this room.' });
        return;
      }
      roles = { Sx: top[0]!, Sy: top[1]!, Sz: top[2]! };
      this.set({ key, roles });
    }
    const step = STEPS[state.step]!;
    this.set({ busy: true, error: null });
    try {
      const ctx: StepContext = {
        c: this.c,
        key,
        roles,
        state: () => this.c.store.getState().scenario,
        set: (changes) => this.set(changes),
      };
      const result = await step.run(ctx);
      this.set({ step: state.step + 1, done: [...state.done, { sentence: step.sentence(roles), result }], busy: false });
      void this.c.select(key);
    } catch (e) {
      this.set({ busy: false, error: e instanceof Error ? e.message : String(e) });
    }
  }
}
