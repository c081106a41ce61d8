/** Messages forwarded through a member (src/net/forward.ts): only what the origin signed, fresh, to this node, once. */
import { describe, expect, it } from 'vitest';
import { generateNodeKeys } from '../../src/identity/keys.js';
import {
  checkForwardFrame,
  encodeLinksFrame,
  FORWARD_FRESH_MS,
  type ForwardFrame,
  makeForwardFrame,
  newSession,
  parseForwardFrame,
  parseLinksFrame,
  SEQ_WINDOW,
  SeqWindow,
} from '../../src/net/forward.js';

const NOW = 1_800_000_000_000;
const SESSION = newSession(new Uint8Array(12).fill(7));
const payload = new Uint8Array([0x93, 1, 2, 3]);

async function frameFrom(seq = 1) {
  const origin = await generateNodeKeys();
  const addressee = await generateNodeKeys();
  const bytes = await makeForwardFrame(origin, addressee.id, SESSION, seq, NOW, payload);
  const frame = parseForwardFrame(bytes) as ForwardFrame;
  return { origin, addressee, bytes, frame };
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
    const { origin, addressee, frame } = await frameFrom();
    expect(frame.header.from).toBe(origin.id);
    expect([...frame.payload]).toEqual([...payload]);
    expect(await checkForwardFrame(frame, addressee.id, NOW + 500)).toBeNull();
  });

  it('are refused when the member in the middle changed the message, the origin, the addressee or the number', async () => {
    const { addressee, bytes } = await frameFrom();
    const other = await generateNodeKeys();
    const check = (b: Uint8Array, self = addressee.id) => checkForwardFrame(parseForwardFrame(b) as ForwardFrame, self, NOW);
    expect(await check(rewrite(bytes, (h) => h, new Uint8Array([0x93, 1, 2, 4])))).toMatch(/bad signature/);
    expect(await check(rewrite(bytes, (h) => ({ ...h, from: other.id })))).toMatch(/key is not its origin/);
    expect(
      await check(
        rewrite(bytes, (h) => ({ ...h, to: other.id })),
        other.id,
      ),
    ).toMatch(/bad signature/);
    expect(await check(rewrite(bytes, (h) => ({ ...h, seq: 2 })))).toMatch(/bad signature/);
    expect(await check(rewrite(bytes, (h) => ({ ...h, at: NOW + 1 })))).toMatch(/bad signature/);
    expect(await check(bytes, other.id)).toMatch(/addressed to another node/);
  });

  it('are refused when signed by a key that is not the origin’s, even with a good signature', async () => {
    const { addressee } = await frameFrom();
    const forger = await generateNodeKeys();
    const victim = await generateNodeKeys();
    const forged = await makeForwardFrame(forger, addressee.id, SESSION, 1, NOW, payload);
    const claimed = parseForwardFrame(rewrite(forged, (h) => ({ ...h, from: victim.id }))) as ForwardFrame;
    expect(await checkForwardFrame(claimed, addressee.id, NOW)).toMatch(/key is not its origin/);
  });

  it('are refused when stale', async () => {
    const { addressee, frame } = await frameFrom();
    expect(await checkForwardFrame(frame, addressee.id, NOW + FORWARD_FRESH_MS + 1)).toMatch(/stale/);
    expect(await checkForwardFrame(frame, addressee.id, NOW - FORWARD_FRESH_MS - 1)).toMatch(/stale/);
  });

  it('refuse frames out of bounds with a reason, before any signature is checked', async () => {
    const { bytes } = await frameFrom();
    expect(parseForwardFrame(rewrite(bytes, (h) => ({ ...h, from: 'node-1' })))).toMatch(/malformed node id/);
    expect(parseForwardFrame(rewrite(bytes, (h) => ({ ...h, seq: 0 })))).toMatch(/sequence number out of bounds/);
    expect(parseForwardFrame(rewrite(bytes, (h) => ({ ...h, seq: 1.5 })))).toMatch(/sequence number out of bounds/);
    expect(parseForwardFrame(rewrite(bytes, (h) => ({ ...h, session: 'x' })))).toMatch(/malformed session/);
    expect(parseForwardFrame(rewrite(bytes, (h) => ({ ...h, at: 'soon' })))).toMatch(/without a time/);
    expect(parseForwardFrame(rewrite(bytes, ({ sig: _, ...h }) => h))).toMatch(/without a string sig/);
    expect(parseForwardFrame(new Uint8Array([0xff, 0x46, 0x00]))).toMatch(/cut short/);
    expect(parseForwardFrame(new Uint8Array([0xff, 0x46, 0x00, 0x09, 0x7b]))).toMatch(/cut short/);
    expect(parseForwardFrame(new Uint8Array([0xff, 0x46, 0x00, 0x01, 0x7b]))).toMatch(/not JSON/);
    expect(parseForwardFrame(new Uint8Array([0xff, 0x46, 0xff, 0xff]))).toMatch(/header of 65535 bytes/);
    const huge = new Uint8Array(5 * 1024 * 1024);
    expect(parseForwardFrame(rewrite(bytes, (h) => h, huge))).toMatch(/forwarded message of \d+ bytes >/);
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
  it('name the peers a node has channels to, and nothing malformed or beyond the bound', async () => {
    const ids = await Promise.all([generateNodeKeys(), generateNodeKeys()]).then((k) => k.map((x) => x.id));
    expect(parseLinksFrame(encodeLinksFrame(ids))).toEqual(ids);
    expect(parseLinksFrame(encodeLinksFrame([]))).toEqual([]);
    expect(parseLinksFrame(encodeLinksFrame(['node-1']))).toMatch(/malformed node id/);
    expect(parseLinksFrame(encodeLinksFrame(Array(300).fill(ids[0])))).toMatch(/too long|at most/);
    expect(parseLinksFrame(new Uint8Array([0xff, 0x4c, 0x7b]))).toMatch(/not JSON/);
    expect(parseLinksFrame(new Uint8Array([0xff, 0x4c, ...new TextEncoder().encode('{"a":1}')]))).toMatch(/not a list/);
  });
});
