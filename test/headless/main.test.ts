/**
 * The `dynamo-node` command, spawned as a person would run it: bad input is one line on stderr and
 * a non-zero exit with nothing in the data directory overwritten; a good start prints one joined
 * line, stops cleanly on SIGTERM, and comes back as the same node, after SIGKILL too. Each node here
 * is alone in its room with the real signaling server on 127.0.0.1, so no WebRTC peer connects
 * (that happens only in e2e/headless.spec.ts, inside the network namespace).
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SignalingServer, startSignalingServer } from '../../signaling/server.js';
import { type Finished, runCli, snapshot, startCli } from './run.js';

let root: string;
let signaling: SignalingServer;
let rooms = 0;
const room = () => `cli-${process.pid}-${++rooms}`;
const fresh = (name: string) => join(root, `${name}-${++rooms}`);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'dynamo-cli-'));
  chmodSync(root, 0o755);
  signaling = await startSignalingServer({ port: 0 });
});
afterAll(async () => {
  await signaling?.close();
  rmSync(root, { recursive: true, force: true });
});

/** Exactly one line on stderr, naming the command, and none on stdout. */
function oneLine(r: Finished): string {
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^dynamo-node: /);
  expect(r.stdout).toBe('');
  return lines[0]!;
}

/** A node created in room `name` (started until it joined, then stopped with SIGTERM). */
async function nodeIn(name: string, dir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const node = await startCli(['--room', name, '--data', dir, '--signal', signaling.url], { env });
  node.child.kill('SIGTERM');
  expect(await node.exited).toEqual({ code: 0, signal: null });
  return node.id;
}

describe('dynamo-node: bad input', () => {
  it('refuses options it does not know, a missing --data, a bad room and a secret on the command line', async () => {
    const dir = fresh('never');
    const cases = [
      [['--room', 'r'], /--data DIR is required/],
      [['--data', dir, '--room', 'no spaces'], /not a valid room name/],
      [['--data', dir, '--room', 'r', '--colour', 'red'], /Unknown option '--colour'/],
      [['--data', dir, '--room', 'r', '--secret', 'hunter2'], /not be given on the command line.*--secret-file/],
      [['--data', dir, '--room', 'r', '--secret=hunter2'], /not be given on the command line/],
      [['--data', dir, '--room', 'r', '--signal', 'http://127.0.0.1:1'], /not a ws:\/\/ or wss:\/\/ URL/],
      [['--data', dir, '--room', 'r', '--http', 'nope'], /is not \[HOST:\]PORT/],
    ] as const;
    const results = await Promise.all(cases.map(([args]) => runCli([...args])));
    results.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(2);
      expect(oneLine(r)).toMatch(cases[i]![1]);
    });
    expect(() => statSync(dir)).toThrow();
  });

  it('gives up on an unreachable signaling server within seconds, with one line', async () => {
    const dir = fresh('unreachable');
    // A port nothing listens on: refused at once, retried until the join timeout.
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const r = await runCli(['--room', room(), '--data', dir, '--signal', `ws://127.0.0.1:${closed}`]);
    expect(r.code).toBe(1);
    expect(oneLine(r)).toMatch(
      new RegExp(`cannot reach the signaling server at ws://127.0.0.1:${closed}: .*ECONNREFUSED.*gave up after 5 s`),
    );
    // Five seconds of retrying, plus the time to start Node on a busy machine: not for ever.
    expect(r.ms).toBeLessThan(20_000);
  });

  it('gives up on a server that accepts connections but never answers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const r = await runCli(['--room', room(), '--data', fresh('silent'), '--signal', `ws://127.0.0.1:${port}`, '--join-timeout', '2']);
      expect(r.code).toBe(1);
      expect(oneLine(r)).toMatch(/cannot reach the signaling server .*gave up after 2 s/);
      expect(r.ms).toBeLessThan(20_000);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('refuses a --data directory it cannot write, and changes nothing in it', async () => {
    // Root writes anywhere: the command runs as an ordinary user then (nobody), as a person would.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const empty = fresh('read-only');
    mkdirSync(empty, { mode: 0o555 });
    chmodSync(empty, 0o555);
    const r = await runCli(['--room', room(), '--data', empty, '--signal', signaling.url], {
      ...asUser,
      env: { ...process.env, HOME: root },
    });
    expect(r.code).toBe(1);
    expect(oneLine(r)).toMatch(/--data .*read-only-\d+ is not writable: EACCES/);
    expect(snapshot(empty)).toEqual({});

    // A directory whose parent cannot be written cannot be created either.
    const under = join(empty, 'inner');
    const r2 = await runCli(['--room', room(), '--data', under, '--signal', signaling.url], {
      ...asUser,
      env: { ...process.env, HOME: root },
    });
    expect(r2.code).toBe(1);
    expect(oneLine(r2)).toMatch(/cannot create --data .*inner: EACCES/);

    // A node's own directory that became read-only: refused before anything is opened.
    const held = fresh('held');
    const name = room();
    await nodeIn(name, held);
    if (process.getuid?.() === 0) chownSync(held, 65534, 65534);
    chmodSync(held, 0o555);
    const before = snapshot(held);
    const r3 = await runCli(['--room', name, '--data', held, '--signal', signaling.url], {
      ...asUser,
      env: { ...process.env, HOME: root },
    });
    expect(r3.code).toBe(1);
    expect(oneLine(r3)).toMatch(/is not writable|cannot read/);
    expect(snapshot(held)).toEqual(before);
  });

  it('refuses a --data directory that holds another room’s node, or this room’s with another secret, and changes nothing', async () => {
    const dir = fresh('theirs');
    const theirs = room();
    const id = await nodeIn(theirs, dir);
    const before = snapshot(dir);
    const other = await runCli(['--room', room(), '--data', dir, '--signal', signaling.url]);
    expect(other.code).toBe(1);
    expect(oneLine(other)).toContain(`holds node ${id} of room "${theirs}", not of room "cli-`);
    const secretFile = join(root, `secret-${rooms}`);
    writeFileSync(secretFile, 'correct horse battery staple\n', { mode: 0o600 });
    const withSecret = await runCli(['--room', theirs, '--data', dir, '--signal', signaling.url, '--secret-file', secretFile]);
    expect(withSecret.code).toBe(1);
    expect(oneLine(withSecret)).toContain(`holds node ${id} of room "${theirs}" with no secret, not the one given`);
    expect(snapshot(dir)).toEqual(before);

    // The same with a secret given in the environment: another secret is refused too.
    const secretDir = fresh('secret');
    const secretRoom = room();
    await nodeIn(secretRoom, secretDir, { ...process.env, DYNAMO_SECRET: 'one secret' });
    const held = snapshot(secretDir);
    const wrong = await runCli(['--room', secretRoom, '--data', secretDir, '--signal', signaling.url], {
      env: { ...process.env, DYNAMO_SECRET: 'another secret' },
    });
    expect(wrong.code).toBe(1);
    expect(oneLine(wrong)).toContain('with another secret, not the one given');
    expect(snapshot(secretDir)).toEqual(held);
  });

  it('refuses a directory that is not empty and holds no node, a file, and a damaged node.json', async () => {
    const dir = fresh('someone-elses');
    mkdirSync(dir);
    writeFileSync(join(dir, 'thesis.tex'), 'do not touch');
    const before = snapshot(dir);
    const r = await runCli(['--room', room(), '--data', dir, '--signal', signaling.url]);
    expect(r.code).toBe(1);
    expect(oneLine(r)).toMatch(/is not empty and holds no node/);
    expect(snapshot(dir)).toEqual(before);

    const file = join(dir, 'thesis.tex');
    const r2 = await runCli(['--room', room(), '--data', file, '--signal', signaling.url]);
    expect(r2.code).toBe(1);
    expect(oneLine(r2)).toMatch(/is not a directory/);

    const damaged = fresh('damaged');
    const name = room();
    await nodeIn(name, damaged);
    const identity = JSON.parse(readFileSync(join(damaged, 'node.json'), 'utf8')) as Record<string, string>;
    // Another node's public key with this node's private key: it would be a node it is not.
    const other = fresh('other');
    await nodeIn(name, other);
    const theirs = JSON.parse(readFileSync(join(other, 'node.json'), 'utf8')) as Record<string, string>;
    writeFileSync(join(damaged, 'node.json'), JSON.stringify({ ...identity, id: theirs.id, publicKey: theirs.publicKey }));
    const swapped = snapshot(damaged);
    const r3 = await runCli(['--room', name, '--data', damaged, '--signal', signaling.url]);
    expect(r3.code).toBe(1);
    expect(oneLine(r3)).toMatch(/node\.json is damaged \(the private key is not the public key’s\)/);
    expect(snapshot(damaged)).toEqual(swapped);
  });

  it('refuses a --data directory that a running node holds', async () => {
    const dir = fresh('busy');
    const name = room();
    const first = await startCli(['--room', name, '--data', dir, '--signal', signaling.url]);
    try {
      const second = await runCli(['--room', name, '--data', dir, '--signal', signaling.url]);
      expect(second.code).toBe(1);
      expect(oneLine(second)).toMatch(/db is in use by another process/);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
  });
});

describe('dynamo-node: start, stop, restart', () => {
  it('prints one joined line, keeps its key 0600 beside its room, stops cleanly and comes back as the same node', async () => {
    const dir = fresh('node');
    const name = room();
    const node = await startCli(['--room', name, '--data', dir, '--signal', signaling.url, '--http', '0']);
    expect(node.line).toMatch(new RegExp(`^joined room ${name} as node-[0-9a-f]{24} \\(a new node\\) via ${signaling.url}`));
    expect(node.output().stderr).toBe('');
    const identity = JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as Record<string, string>;
    expect(identity).toMatchObject({ id: node.id, room: name, serverRoom: name });
    expect(identity.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(statSync(join(dir, 'node.json')).mode & 0o777).toBe(0o600);
    // Alone in its room, it coordinates and stores a write itself (W=1).
    const put = await fetch(`${node.api}/keys/cart?w=1`, { method: 'PUT', body: 'milk' });
    expect(put.status).toBe(200);
    node.child.kill('SIGTERM');
    expect(await node.exited).toEqual({ code: 0, signal: null });
    expect(node.output().stdout).toMatch(new RegExp(`stopped ${node.id} \\(SIGTERM\\)`));

    // --room may be left out: the directory says which room its node belongs to.
    const again = await startCli(['--data', dir, '--signal', signaling.url, '--http', '0']);
    expect(again.id).toBe(node.id);
    expect(again.line).not.toContain('a new node');
    const stored = (await (await fetch(`${again.api}/stored/cart`)).json()) as { versions: { text: string }[] };
    expect(stored.versions.map((v) => v.text)).toEqual(['milk']);
    // SIGKILL: no chance to close anything. It comes back as the same node with its acknowledged write.
    const acked = await fetch(`${again.api}/keys/basket?w=1`, { method: 'PUT', body: 'eggs' });
    expect(acked.status).toBe(200);
    again.child.kill('SIGKILL');
    expect((await again.exited).signal).toBe('SIGKILL');
    const third = await startCli(['--room', name, '--data', dir, '--signal', signaling.url, '--http', '0']);
    try {
      expect(third.id).toBe(node.id);
      const basket = (await (await fetch(`${third.api}/stored/basket`)).json()) as { versions: { text: string }[] };
      expect(basket.versions.map((v) => v.text)).toEqual(['eggs']);
    } finally {
      third.child.kill('SIGINT');
      expect(await third.exited).toEqual({ code: 0, signal: null });
    }
  });
});
