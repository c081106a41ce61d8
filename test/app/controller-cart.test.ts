/**
 * The page's shopping cart (src/app/cart-controller.ts, through the page's controller), driven as a person drives it,
 * over the simulator's nodes: what each page shows after adds and removals, siblings made on the
 * two sides of a partition, reconciling them by hand (merge by union, keep one, delete), and a
 * failed write shown as a failure. The real thing, in tabs over WebRTC, is e2e/ui.spec.ts; here
 * the same controller runs against the core node the tab runs, without the page, its tabs or its
 * transport (this node's parts of them that the cart does not touch are left out).
 */
import { describe, expect, it } from 'vitest';
import type { Cart } from '../../src/app/cart.js';
import { Controller } from '../../src/app/controller.js';
import { NodeNames } from '../../src/app/node-names.js';
import type { RoomChannel } from '../../src/app/room-channel.js';
import type { RoomNames } from '../../src/app/room-names.js';
import { type AppStore, initialState, makeStore } from '../../src/app/store.js';
import type { BrowserNode } from '../../src/browser/browser-node.js';
import { createSimulation, type Simulation } from '../../src/sim/index.js';

/** A page over node `id` of `sim`, with (R, W) = (2, 2) unless told. */
function page(sim: Simulation, id: string, quorum: { r?: number; w?: number } = {}): { controller: Controller; store: AppStore } {
  const node = sim.node(id)!;
  const store = makeStore(
    initialState({
      self: id,
      room: 'r',
      origin: 'new',
      signaling: 'connected',
      ring: node.ring(),
      strategy: node.config.strategy,
      n: node.config.n,
      r: quorum.r ?? 2,
      w: quorum.w ?? 2,
      faults: { crashed: false, isolated: [], delayMs: 0, dropRate: 0 },
      names: new NodeNames(),
      present: false,
      followClass: false,
    }),
  );

  const bn = { id, room: 'r', node } as unknown as BrowserNode;
  const names = { current: new NodeNames() } as unknown as RoomNames;
  const controller = new Controller(bn, store, names, {} as RoomChannel, () => undefined);
  return { controller, store };
}

/** Runs the simulation until `work` (a page's action) has ended. */
async function act(sim: Simulation, work: Promise<void>): Promise<void> {
  let done = false;
  const ended = work.finally(() => {
    done = true;
  });
  for (let i = 0; !done && i < 2000; i++) await sim.run(10);
  await ended;
}

/** What a page shows: each version's cart (null for a deletion). */
function shown(store: AppStore): (Cart | null)[] {
  const { siblings } = store.getState().cart;
  if (!siblings) throw new Error('the cart was not read');
  return siblings.map((s) => (s.deleted ? null : (s.cart as Cart)));
}

const items = (store: AppStore) => shown(store).map((c) => [...(c?.items ?? [])].sort());

/** Long enough after a partition for every node to find the other side unreachable (a probe a second each). */
const apart = (sim: Simulation) => sim.run(10_000);

async function cluster(seed: number) {
  const sim = await createSimulation({ seed, nodes: 5, n: 3, r: 2, w: 2 });
  await sim.run(2000);
  const [a, b, c, d, e] = sim.nodes as [string, string, string, string, string];
  return { sim, a, b, c, d, e };
}

/**
 * Pages over a and c, with the cart read (and `items` added from a's page) before a and b are cut
 * off from c, d and e, and long enough apart for each side to find the other unreachable.
 */
async function twoSides(seed: number, items: readonly string[]) {
  const { sim, a, b, c, d, e } = await cluster(seed);
  const A = page(sim, a);
  const C = page(sim, c);
  await act(sim, A.controller.cart.load());
  for (const item of items) await act(sim, A.controller.cart.add(item));
  await act(sim, C.controller.cart.load());
  sim.partition([a, b], [c, d, e]);
  await apart(sim);
  return { sim, A, C };
}

describe('the page’s cart', () => {
  it('two pages add one after the other: each shows every item, in one version', async () => {
    const { sim, a, c } = await cluster(1);
    const A = page(sim, a);
    const C = page(sim, c);
    await act(sim, A.controller.cart.load());
    expect(shown(A.store)).toEqual([]);
    await act(sim, A.controller.cart.add('milk'));
    expect(A.store.getState().cart.notice).toBe('added “milk”');
    await act(sim, C.controller.cart.load());
    await act(sim, C.controller.cart.add('eggs'));
    await act(sim, A.controller.cart.load());
    expect(items(A.store)).toEqual([['eggs', 'milk']]);
    await act(sim, A.controller.cart.remove('milk'));
    await act(sim, C.controller.cart.load());
    expect(shown(C.store)).toEqual([{ items: ['eggs'], removed: ['milk'] }]);
    expect(C.store.getState().cart.error).toBeNull();
  });

  it('adds on the two sides of a partition are siblings after the heal; adding waits for a reconciliation, and a merge by union supersedes both', async () => {
    const { sim, A, C } = await twoSides(2, ['milk']);
    // Each side's sloppy quorum takes its write (W = 2 on either side).
    await act(sim, A.controller.cart.add('bread'));
    await act(sim, C.controller.cart.add('eggs'));
    expect(A.store.getState().cart.error).toBeNull();
    expect(C.store.getState().cart.error).toBeNull();
    sim.heal();
    expect((await sim.settle()).converged).toBe(true);

    await act(sim, A.controller.cart.load());
    expect(items(A.store).sort()).toEqual([
      ['bread', 'milk'],
      ['eggs', 'milk'],
    ]);
    // A change to one of several versions would pick a winner behind the person's back.
    await act(sim, A.controller.cart.add('jam'));
    expect(A.store.getState().cart.error).toMatch(/several versions: reconcile them first/);
    expect(items(A.store)).toHaveLength(2);

    await act(sim, A.controller.cart.merge());
    expect(items(A.store)).toEqual([['bread', 'eggs', 'milk']]);
    expect(A.store.getState().cart.notice).toBe('merged 2 versions by union');
    expect((await sim.settle()).converged).toBe(true);
    await act(sim, C.controller.cart.load());
    expect(items(C.store)).toEqual([['bread', 'eggs', 'milk']]);
    expect(sim.violations()).toEqual([]);
  });

  it('an item removed on one side and kept on the other comes back with the union, and the page says why', async () => {
    const { sim, A, C } = await twoSides(3, ['milk']);
    await act(sim, A.controller.cart.remove('milk'));
    await act(sim, C.controller.cart.add('eggs'));
    sim.heal();
    expect((await sim.settle()).converged).toBe(true);
    await act(sim, C.controller.cart.load());
    expect(shown(C.store)).toHaveLength(2);
    await act(sim, C.controller.cart.merge());
    expect(items(C.store)).toEqual([['eggs', 'milk']]);
    expect(C.store.getState().cart.notice).toMatch(/“milk” came back: one version had removed it, another still held it/);
  });

  it('keeping one version supersedes the others; deleting leaves a tombstone, shown as an empty cart', async () => {
    const { sim, A, C } = await twoSides(4, []);
    await act(sim, A.controller.cart.add('milk'));
    await act(sim, C.controller.cart.add('eggs'));
    sim.heal();
    expect((await sim.settle()).converged).toBe(true);
    await act(sim, A.controller.cart.load());
    const versions = items(A.store);
    expect([...versions].sort()).toEqual([['eggs'], ['milk']]);
    const index = versions.findIndex((v) => v[0] === 'eggs');
    await act(sim, A.controller.cart.keep(index));
    expect(items(A.store)).toEqual([['eggs']]);
    expect(A.store.getState().cart.notice).toBe(`kept version ${index + 1}; the others are superseded`);

    await act(sim, A.controller.cart.delete());
    expect(A.store.getState().cart.error).toBeNull();
    await act(sim, C.controller.cart.load());
    expect(shown(C.store)).toEqual([null]);
    // A deleted cart takes items again, from empty.
    await act(sim, C.controller.cart.add('tea'));
    expect(items(C.store)).toEqual([['tea']]);
    expect(sim.violations()).toEqual([]);
  });

  it('a write too few replicas took is shown as a failure, never as done, with what the replicas hold', async () => {
    const { sim, a, b, c, d, e } = await cluster(5);
    const A = page(sim, a, { w: 3 });
    await act(sim, A.controller.cart.load());
    await act(sim, A.controller.cart.add('milk'));
    expect(A.store.getState().cart.error).toBeNull();
    // With only two nodes on its side, no write of A's can reach W = 3.
    sim.partition([a, b], [c, d, e]);
    await apart(sim);
    await act(sim, A.controller.cart.add('eggs'));
    const { error, notice } = A.store.getState().cart;
    expect(error).toMatch(/^put of "cart:shared" failed: /);
    expect(notice ?? '').not.toMatch(/added “eggs”/);
    // The failed write may have been applied at A (as in the paper); the page shows what it read.
    expect(items(A.store).flat()).toContain('milk');
    sim.heal();
    expect((await sim.settle()).converged).toBe(true);
    expect(sim.violations()).toEqual([]);
  });

  it('in a room too small for R, an unwritten cart is empty, with a note that says why, not an error', async () => {
    const sim = await createSimulation({ seed: 6, nodes: 1, n: 3, r: 2, w: 2 });
    await sim.run(2000);
    const A = page(sim, sim.nodes[0]!);
    await act(sim, A.controller.cart.load());
    const { error, note, siblings } = A.store.getState().cart;
    expect(error).toBeNull();
    expect(siblings).toEqual([]);
    expect(note).toMatch(/Nothing is stored under this key yet. A full read waits for R = 2 replies and only this node is in the room/);
  });
});
