/** Messages forwarded through a member (src/net/forward.ts): only what the origin signed, fresh, to this node, once. */
import { describe, expect, it } from 'vitest';
import { MESSAGE_BYTES_MAX } from '../../src/core/limits.js';
import { generateNodeKeys } from '../../src/identity/keys.js';
import {
  checkForwardFrame,
  encodeLinksFrame,
  FORWARD_FRESH_MS,
  FORWARD_OVERHEAD_MAX,
  type ForwardFrame,
  makeForwardFrame,
  newSession,
  parseForwardFrame,
  parseLinksFrame,
  SEQ_WINDOW,
  SeqWindow,
} from '../../src/net/forward.js';

const NOW = 1_800_000_000_000;
const ROOM = 'class-7';
const SESSION = newSession(new Uint8Array(12).fill(7));
const THEIRS = newSession(new Uint8Array(12).fill(9));
const payload = new Uint8Array([0x93, 1, 2, 3]);

async function frameFrom(seq = 1) {
  const origin = await generateNodeKeys();
  const addressee = await generateNodeKeys();
  const bytes = await makeForwardFrame(origin, ROOM, { id: addressee.id, session: THEIRS }, SESSION, seq, NOW, payload);
  const frame = parseForwardFrame(bytes) as ForwardFrame;
  return { origin, addressee, bytes, frame, self: { id: addressee.id, session: THEIRS } };
}

/** The frame with its header replaced (as a member in the middle could), re-encoded. */
function rewrite(bytes: Uint8Array, change: (header: Record<string, unknown>) => Record<string, unknown>, body = payload): Uint8Array {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint16(2);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length))) as Record<string, unknown>;
  const text = new TextEncoder().encode(JSON.stringify(change(header)));
  const out = new Uint8Array(4 + text.length + body.length);
  out.set([0xff, 0x46]);
  new DataView(out.buffer).setUint16(2, text.length);
  out.set(text, 4);
  out.set(body, 4 + text.length);
  return out;
}

describe('forwarded messages', () => {
  it('reach the addressee as the message the origin sent, from the origin', async () => {
    const { origin, frame, self } = await frameFrom();
    expect(frame.header.from).toBe(origin.id);
    expect([...frame.payload]).toEqual([...payload]);
    expect(await checkForwardFrame(frame, ROOM, self, NOW + 500)).toBeNull();
  });

  it('are good for the life of the addressee they were signed for, in the room they were signed in', async () => {
    const { frame, self } = await frameFrom();
    // The addressee restarted (a new session): a copy kept by the member in the middle is refused.
    const later = { id: self.id, session: newSession(new Uint8Array(12).fill(3)) };
    expect(await checkForwardFrame(frame, ROOM, later, NOW)).toMatch(/earlier life/);
    expect(await checkForwardFrame(frame, 'another-room', self, NOW)).toMatch(/bad signature/);
  });

  it('are refused when the member in the middle changed the message, the origin, the addressee, a session or the number', async () => {
    const { bytes, self } = await frameFrom();
    const other = await generateNodeKeys();
    const check = (b: Uint8Array, me = self) => checkForwardFrame(parseForwardFrame(b) as ForwardFrame, ROOM, me, NOW);
    expect(await check(rewrite(bytes, (h) => h, new Uint8Array([0x93, 1, 2, 4])))).toMatch(/bad signature/);
    expect(await check(rewrite(bytes, (h) => ({ ...h, from: other.id })))).toMatch(/key is not its origin/);
    expect(
      await check(
        rewrite(bytes, (h) => ({ ...h, to: other.id })),
        { ...self, id: other.id },
      ),
    ).toMatch(/bad signature/);
    expect(await check(rewrite(bytes, (h) => ({ ...h, seq: 2 })))).toMatch(/bad signature/);
    expect(await check(rewrite(bytes, (h) => ({ ...h, session: THEIRS })))).toMatch(/bad signature/);
    const now = newSession(new Uint8Array(12).fill(4));
    expect(
      await check(
        rewrite(bytes, (h) => ({ ...h, toSession: now })),
        { ...self, session: now },
      ),
    ).toMatch(/bad signature/);
    expect(await check(rewrite(bytes, (h) => ({ ...h, at: NOW + 1 })))).toMatch(/bad signature/);
    expect(await check(bytes, { ...self, id: other.id })).toMatch(/addressed to another node/);
  });

  it('are refused when signed by a key that is not the origin’s, even with a good signature', async () => {
    const { self } = await frameFrom();
    const forger = await generateNodeKeys();
    const victim = await generateNodeKeys();
    const forged = await makeForwardFrame(forger, ROOM, self, SESSION, 1, NOW, payload);
    const claimed = parseForwardFrame(rewrite(forged, (h) => ({ ...h, from: victim.id }))) as ForwardFrame;
    expect(await checkForwardFrame(claimed, ROOM, self, NOW)).toMatch(/key is not its origin/);
  });

  it('are refused when stale', async () => {
    const { frame, self } = await frameFrom();
    expect(await checkForwardFrame(frame, ROOM, self, NOW + FORWARD_FRESH_MS + 1)).toMatch(/stale/);
    expect(await checkForwardFrame(frame, ROOM, self, NOW - FORWARD_FRESH_MS - 1)).toMatch(/stale/);
  });

  it('refuse frames out of bounds with a reason, before any signature is checked', async () => {
    const { bytes } = await frameFrom();
    expect(parseForwardFrame(rewrite(bytes, (h) => ({ ...h, from: 'node-1' })))).toMatch(/malformed node id/);
    expect(parseForwardFrame(rewrite(bytes, (h) => ({ ...h, seq: 0 })))).toMatch(/sequence number out of bounds/);
    expect(parseForwardFrame(rewrite(bytes, (h) => ({ ...h, seq: 1.5 })))).toMatch(/sequence number out of bounds/);
    expect(parseForwardFrame(rewrite(bytes, (h) => ({ ...h, session: 'x' })))).toMatch(/malformed session/);
    expect(parseForwardFrame(rewrite(bytes, (h) => ({ ...h, toSession: 'x' })))).toMatch(/malformed session/);
    expect(parseForwardFrame(rewrite(bytes, (h) => ({ ...h, at: 'soon' })))).toMatch(/without a time/);
    expect(parseForwardFrame(rewrite(bytes, ({ sig: _, ...h }) => h))).toMatch(/without a string sig/);
    expect(parseForwardFrame(new Uint8Array([0xff, 0x46, 0x00]))).toMatch(/cut short/);
    expect(parseForwardFrame(new Uint8Array([0xff, 0x46, 0x00, 0x09, 0x7b]))).toMatch(/cut short/);
    expect(parseForwardFrame(new Uint8Array([0xff, 0x46, 0x00, 0x01, 0x7b]))).toMatch(/not JSON/);
    expect(parseForwardFrame(new Uint8Array([0xff, 0x46, 0xff, 0xff]))).toMatch(/header of 65535 bytes/);
    const huge = new Uint8Array(5 * 1024 * 1024);
    expect(parseForwardFrame(rewrite(bytes, (h) => h, huge))).toMatch(/forwarded message of \d+ bytes >/);
  });

  it('carry the largest message the protocol allows, within what a channel reassembles', async () => {
    const origin = await generateNodeKeys();
    const largest = new Uint8Array(MESSAGE_BYTES_MAX).fill(7);
    const bytes = await makeForwardFrame(origin, ROOM, { id: origin.id, session: THEIRS }, SESSION, 1, NOW, largest);
    expect(bytes.length).toBeLessThanOrEqual(MESSAGE_BYTES_MAX + FORWARD_OVERHEAD_MAX);
    const frame = parseForwardFrame(bytes) as ForwardFrame;
    expect(frame.payload.length).toBe(MESSAGE_BYTES_MAX);
  });

  it('are taken once per origin, session and number, in any order within the window', () => {
    const seen = new SeqWindow();
    expect(seen.take('a', 's', 3, NOW)).toBe(true);
    expect(seen.take('a', 's', 1, NOW)).toBe(true);
    expect(seen.take('a', 's', 3, NOW)).toBe(false);
    expect(seen.take('a', 's', 1, NOW)).toBe(false);
    expect(seen.take('a', 's', 2, NOW)).toBe(true);
    // Another session, or another origin, counts on its own.
    expect(seen.take('a', 't', 3, NOW)).toBe(true);
    expect(seen.take('b', 's', 3, NOW)).toBe(true);
    // Far ahead: everything below the window is refused, what is within it is taken once.
    expect(seen.take('a', 's', 5000, NOW)).toBe(true);
    expect(seen.take('a', 's', 5000 - SEQ_WINDOW, NOW)).toBe(false);
    expect(seen.take('a', 's', 5001 - SEQ_WINDOW, NOW)).toBe(true);
    expect(seen.take('a', 's', 5001 - SEQ_WINDOW, NOW)).toBe(false);
    expect(seen.take('a', 's', 4999, NOW)).toBe(true);
    expect(seen.take('a', 's', 4999, NOW)).toBe(false);
  });

  it('keep at most a few sessions of one origin, refusing more rather than forgetting one', () => {
    const seen = new SeqWindow();
    for (const s of ['s1', 's2', 's3', 's4']) expect(seen.take('a', s, 1, NOW)).toBe(true);
    expect(seen.take('a', 's5', 1, NOW)).toBe(false);
    expect(seen.take('b', 's5', 1, NOW)).toBe(true);
    // Once the old ones leave the window, the origin may start new ones.
    expect(seen.take('a', 's5', 1, NOW + 2 * FORWARD_FRESH_MS + 1)).toBe(true);
  });

  it('keep a bounded number of sessions, refusing a new one rather than forgetting one still in the window', () => {
    const seen = new SeqWindow(1000, 2);
    expect(seen.take('a', 's', 1, NOW)).toBe(true);
    expect(seen.take('b', 's', 1, NOW)).toBe(true);
    expect(seen.take('c', 's', 1, NOW)).toBe(false);
    expect(seen.take('a', 's', 1, NOW + 10)).toBe(false);
    expect(seen.take('a', 's', 2, NOW + 10)).toBe(true);
    // b's session goes once unused for the window; a's, used later, stays.
    expect(seen.take('c', 's', 1, NOW + 1001)).toBe(true);
    expect(seen.take('a', 's', 2, NOW + 1001)).toBe(false);
  });
});

describe('links frames', () => {
  it('name the sender’s session and the peers it has channels to with theirs, and nothing malformed or beyond the bound', async () => {
    const ids = await Promise.all([generateNodeKeys(), generateNodeKeys()]).then((k) => k.map((x) => x.id));
    const pairs = ids.map((id) => [id, THEIRS] as const);
    const read = parseLinksFrame(encodeLinksFrame(SESSION, pairs));
    expect(typeof read === 'string' ? read : { session: read.session, peers: [...read.peers], cut: read.cut }).toEqual({
      session: SESSION,
      peers: pairs,
      cut: false,
    });
    expect(parseLinksFrame(encodeLinksFrame(SESSION, []))).toEqual({ session: SESSION, peers: new Map(), cut: false });
    // A node that cut itself off from the receiver says so (the receiver is then no way to it for others).
    expect(parseLinksFrame(encodeLinksFrame(SESSION, [], true))).toEqual({ session: SESSION, peers: new Map(), cut: true });
    const raw = (o: unknown) => new Uint8Array([0xff, 0x4c, ...new TextEncoder().encode(JSON.stringify(o))]);
    expect(parseLinksFrame(raw({ s: SESSION, p: [], c: 'yes' }))).toMatch(/malformed cut flag/);
    expect(parseLinksFrame(encodeLinksFrame('x', []))).toMatch(/malformed session/);
    expect(parseLinksFrame(encodeLinksFrame(SESSION, [['node-1', THEIRS]]))).toMatch(/malformed node id/);
    expect(parseLinksFrame(encodeLinksFrame(SESSION, [[ids[0]!, 'x']]))).toMatch(/malformed session/);
    expect(parseLinksFrame(encodeLinksFrame(SESSION, Array(300).fill(pairs[0])))).toMatch(/too long|at most/);
    expect(parseLinksFrame(new Uint8Array([0xff, 0x4c, 0x7b]))).toMatch(/not JSON/);
    const text = (o: unknown) => new Uint8Array([0xff, 0x4c, ...new TextEncoder().encode(JSON.stringify(o))]);
    expect(parseLinksFrame(text([1]))).toMatch(/not an object/);
    expect(parseLinksFrame(text({ s: SESSION, p: {} }))).toMatch(/without a list/);
    expect(parseLinksFrame(text({ s: SESSION, p: [[ids[0]]] }))).toMatch(/not \[id, session\]/);
  });
});
