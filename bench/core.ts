/**
 * Figures for the protocol core, printed as JSON (not pass/fail): `npm run bench:core`.
 *   - messages per get and per put, and their latency in virtual time
 *   - load imbalance (max/mean keys per node) for strategies 1 and 3, as in the paper's 6.2
 *   - anti-entropy bytes against the number of differing keys, 10,000 keys held
 *   - simulated operations per wall-clock second for clusters of 100 and 1,000 nodes
 * Pass `--quick` for a smaller run.
 */
import { makeConfig } from '../src/core/config.js';
import { keyPosition } from '../src/core/hash.js';
import { chooseTokens } from '../src/core/partitioning.js';
import { buildRing, preferenceList } from '../src/core/ring.js';
import { encodeMessage } from '../src/core/protocol.js';
import { bytesEqual } from '../src/core/merkle.js';
import { increment } from '../src/core/vclock.js';
import type { KeyRecord } from '../src/core/version.js';
import { createSimulation, SeededRandom, type Simulation } from '../src/sim/index.js';
import { round, summary } from './stats.js';

const quick = process.argv.includes('--quick');
const value = (i: number) => new TextEncoder().encode(`value-${i}`.padEnd(64, '.'));

/** Messages (or their bytes) of the given types sent by every node so far. */
function sent(sim: Simulation, types: string[], what: 'count' | 'bytes' = 'count'): number {
  let total = 0;
  for (const id of sim.nodes) {
    const stats = sim.node(id)?.stats.sent ?? {};
    for (const t of types) total += stats[t]?.[what] ?? 0;
  }
  return total;
}

const messageCounts = (sim: Simulation, types: string[]) => sent(sim, types);
const bytesOf = (sim: Simulation, types: string[]) => sent(sim, types, 'bytes');

const GET_TYPES = ['read', 'read-reply'];
const PUT_TYPES = ['write', 'write-reply', 'forward', 'forward-reply'];

async function messagesPerOperation() {
  const sim = await createSimulation({ seed: 1, nodes: 8, n: 3, r: 2, w: 2 });
  const rnd = new SeededRandom(1, 'bench');
  const ops = quick ? 200 : 1000;
  const puts: number[] = [];
  const gets: number[] = [];
  const putLatency: number[] = [];
  const getLatency: number[] = [];
  for (let i = 0; i < ops; i++) {
    const via = rnd.pick(sim.nodes);
    let before = messageCounts(sim, PUT_TYPES);
    let t = sim.now;
    await sim.client(via).put(`key-${i % 100}`, value(i));
    putLatency.push(sim.now - t);
    await sim.run(30); // let late replies and read repair finish before counting
    puts.push(messageCounts(sim, PUT_TYPES) - before);
    before = messageCounts(sim, [...GET_TYPES, 'write', 'write-reply']);
    t = sim.now;
    await sim.client(rnd.pick(sim.nodes)).get(`key-${i % 100}`);
    getLatency.push(sim.now - t);
    await sim.run(30);
    gets.push(messageCounts(sim, [...GET_TYPES, 'write', 'write-reply']) - before);
  }
  return {
    cluster: '8 nodes, N=3 R=2 W=2, links 1-5 ms, requests through a random node',
    messagesPerPut: summary(puts),
    messagesPerGet: summary(gets),
    putLatencyMsVirtual: summary(putLatency),
    getLatencyMsVirtual: summary(getLatency),
    note: 'messages counted between nodes (a coordinator’s own replica is local); a put sent to a node outside the top N adds a forward and its reply',
  };
}

function loadImbalance() {
  const keys = Array.from({ length: quick ? 20_000 : 100_000 }, (_, i) => keyPosition(`key-${i}`));
  const rows: Record<string, unknown>[] = [];
  for (const nodes of [4, 8, 16, 32, 64]) {
    for (const [label, config] of [
      ['strategy 1 (T=8 random tokens per node)', makeConfig({ strategy: 1, tokensPerCapacity: 8 })],
      ['strategy 1 (T=64 random tokens per node)', makeConfig({ strategy: 1, tokensPerCapacity: 64 })],
      ['strategy 3 (Q=1024 equal partitions)', makeConfig({ strategy: 3, partitions: 1024 })],
    ] as const) {
      const members = Array.from({ length: nodes }, (_, i) => ({
        id: `node-${i}`,
        capacity: 1,
        tokens: config.strategy === 1 ? chooseTokens(new SeededRandom(7, `node-${i}`), config.tokensPerCapacity) : [],
      }));
      const ring = buildRing(members, config);
      const primary = new Map<string, number>();
      const replicas = new Map<string, number>();
      for (const pos of keys) {
        const list = preferenceList(ring, pos);
        primary.set(list[0]!, (primary.get(list[0]!) ?? 0) + 1);
        for (const node of list) replicas.set(node, (replicas.get(node) ?? 0) + 1);
      }
      const ratio = (m: Map<string, number>) => {
        const counts = members.map((n) => m.get(n.id) ?? 0);
        return round(Math.max(...counts) / (counts.reduce((s, c) => s + c, 0) / counts.length));
      };
      rows.push({ nodes, strategy: label, imbalancePrimary: ratio(primary), imbalanceReplicas: ratio(replicas) });
    }
  }
  return { keys: keys.length, measure: 'max / mean keys per node (1.0 is perfect balance)', rows };
}

async function antiEntropyBytes() {
  const held = 10_000;
  const rows: Record<string, unknown>[] = [];
  for (const differing of quick ? [0, 1, 10, 100] : [0, 1, 10, 100, 1000]) {
    const sim = await createSimulation({ seed: 3, nodes: 3, n: 3 });
    const records: KeyRecord[] = Array.from({ length: held }, (_, i) => ({
      key: `key-${i}`,
      versions: [{ value: value(i), clock: increment([], 'n1', 0), deleted: false }],
    }));
    for (const id of sim.nodes) for (const r of records) await sim.node(id)!.store.merge(r);
    const n1 = sim.node('n1')!;
    for (let i = 0; i < differing; i++) {
      const key = `key-${i * 7}`;
      await n1.store.merge({ key, versions: [{ value: value(-i), clock: increment(records[i * 7]!.versions[0]!.clock, 'n1', 1), deleted: false }] });
    }
    const diffTypes = ['ae-hashes', 'ae-keys', 'ae-pull', 'ae-push'];
    const before = bytesOf(sim, diffTypes);
    const rootsBefore = bytesOf(sim, ['ae-roots']);
    const same = () => records.every((r) => sim.nodes.every((id) => bytesEqual(sim.node(id)!.store.digest(r.key), n1.store.digest(r.key))));
    const start = sim.now;
    while (!same() && sim.now - start < 120_000) await sim.run(250);
    const convergedMs = sim.now - start;
    const diffBytes = bytesOf(sim, diffTypes) - before;
    const rootBytes = bytesOf(sim, ['ae-roots']) - rootsBefore;
    const everyDigest = held * (16 + 10); // a naive exchange of every key's name and digest, one way
    rows.push({
      differingKeys: differing,
      bytesForDifferences: diffBytes,
      bytesPerDifferingKey: differing ? round(diffBytes / differing, 1) : null,
      rootBytesMeanwhile: rootBytes,
      convergedMsVirtual: convergedMs,
      ratioToSendingEveryDigest: round((diffBytes + rootBytes) / everyDigest),
    });
  }
  const sim = await createSimulation({ seed: 3, nodes: 3, n: 3 });
  const idleStart = bytesOf(sim, ['ae-roots']);
  await sim.run(10_000);
  return {
    keysHeld: held,
    replicas: 3,
    rows,
    rootBytesPerNodePerSecond: round((bytesOf(sim, ['ae-roots']) - idleStart) / 10 / 3, 0),
    note:
      'bytesForDifferences counts the tree walk, key lists and records exchanged, cluster-wide, from divergence until all replicas agree; ' +
      'rootBytesMeanwhile is the periodic exchange of range roots that runs whether or not anything differs',
  };
}

async function throughput(nodes: number) {
  const t0 = performance.now();
  const sim = await createSimulation({ seed: 5, nodes, strategy: 1, n: 3, r: 2, w: 2 });
  const setupMs = performance.now() - t0;
  await sim.run(2000);
  const rnd = new SeededRandom(5, 'load');
  const ops = quick ? 200 : nodes >= 1000 ? 1000 : 3000;
  const deliveredBefore = sim.network.delivered;
  const start = performance.now();
  const virtualStart = sim.now;
  for (let i = 0; i < ops; i += 10) {
    const batch: Promise<unknown>[] = [];
    for (let j = 0; j < 10; j++) {
      const via = rnd.pick(sim.nodes);
      const key = `key-${rnd.int(0, 999)}`;
      batch.push(j % 2 ? sim.client(via).get(key) : sim.client(via).put(key, value(i + j)));
    }
    await Promise.all(batch);
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    nodes,
    operations: ops,
    setupMsWall: round(setupMs, 0),
    opsPerWallSecond: round(ops / seconds, 0),
    messagesPerWallSecond: round((sim.network.delivered - deliveredBefore) / seconds, 0),
    virtualMs: sim.now - virtualStart,
  };
}

const result = {
  messages: await messagesPerOperation(),
  loadImbalance: loadImbalance(),
  antiEntropy: await antiEntropyBytes(),
  simulatorThroughput: [await throughput(100), await throughput(1000)],
  sizes: { writeOf1KiB: encodeMessage({ t: 'write', id: 1, record: { key: 'k', versions: [{ value: new Uint8Array(1024), clock: increment([], 'n1', 0), deleted: false }] } }).length },
};
console.log(JSON.stringify(result, null, 2));
