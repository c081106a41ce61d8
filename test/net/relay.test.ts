/** Signals relayed through members (src/net/relay.ts): only what the origin signed, fresh, to this node, once. */
import { describe, expect, it } from 'vitest';
import { generateNodeKeys } from '../../src/identity/keys.js';
import {
  encodeRelayFrame,
  makeRelayFrame,
  NonceWindow,
  openRelayFrame,
  parseRelayFrame,
  RELAY_FRESH_MS,
  type RelayFrame,
} from '../../src/net/relay.js';

const NOW = 1_800_000_000_000;
const nonce = (n: number) => new Uint8Array(12).fill(n);

async function frameFrom(signal: Record<string, unknown> = { type: 'offer', sdp: 'v=0' }) {
  const origin = await generateNodeKeys();
  const addressee = await generateNodeKeys();
  const bytes = await makeRelayFrame(origin, addressee.id, signal, NOW, nonce(1));
  const frame = parseRelayFrame(bytes) as RelayFrame;
  return { origin, addressee, bytes, frame };
}

describe('relayed signals', () => {
  it('open at the addressee as the signal the origin sent', async () => {
    const { origin, addressee, frame } = await frameFrom();
    expect(frame.from).toBe(origin.id);
    expect(await openRelayFrame(frame, addressee.id, NOW + 500)).toEqual({ type: 'offer', sdp: 'v=0' });
  });

  it('are refused when a member changed the signal, the origin or the addressee on the way', async () => {
    const { addressee, frame } = await frameFrom();
    const other = await generateNodeKeys();
    expect(await openRelayFrame({ ...frame, signal: JSON.stringify({ type: 'offer', sdp: 'v=1' }) }, addressee.id, NOW)).toMatch(
      /bad signature/,
    );
    expect(await openRelayFrame({ ...frame, from: other.id }, addressee.id, NOW)).toMatch(/key is not its origin/);
    expect(await openRelayFrame({ ...frame, to: other.id }, other.id, NOW)).toMatch(/bad signature/);
    expect(await openRelayFrame(frame, other.id, NOW)).toMatch(/addressed to another node/);
  });

  it('are refused when signed by a key that is not the origin’s, even with a good signature', async () => {
    const { addressee } = await frameFrom();
    const forger = await generateNodeKeys();
    const victim = await generateNodeKeys();
    const forged = parseRelayFrame(await makeRelayFrame(forger, addressee.id, { type: 'offer' }, NOW, nonce(2))) as RelayFrame;
    expect(await openRelayFrame({ ...forged, from: victim.id }, addressee.id, NOW)).toMatch(/key is not its origin/);
  });

  it('are refused when stale, and taken once when they come along two paths', async () => {
    const { addressee, frame } = await frameFrom();
    expect(await openRelayFrame(frame, addressee.id, NOW + RELAY_FRESH_MS + 1)).toMatch(/stale/);
    const window = new NonceWindow();
    expect(window.fresh(`${frame.from}/${frame.nonce}`, NOW)).toBe(true);
    expect(window.fresh(`${frame.from}/${frame.nonce}`, NOW + 10)).toBe(false);
  });

  it('refuse frames out of bounds with a reason, before any signature is checked', async () => {
    const { frame } = await frameFrom();
    expect(parseRelayFrame(encodeRelayFrame({ ...frame, hops: 5 }))).toMatch(/hops out of bounds/);
    expect(parseRelayFrame(encodeRelayFrame({ ...frame, from: 'node-1' }))).toMatch(/malformed node id/);
    expect(parseRelayFrame(new Uint8Array([0xff, 0x52, 0x7b]))).toMatch(/not JSON/);
    expect(parseRelayFrame(new Uint8Array([0xff, 0x52, ...new TextEncoder().encode('[1]')]))).toMatch(/not an object/);
    const huge = new Uint8Array(40 * 1024).fill(0x20);
    huge.set([0xff, 0x52]);
    expect(parseRelayFrame(huge)).toMatch(/bytes >/);
  });

  it('keep a bounded window of nonces, refusing new ones rather than forgetting one still in the window', () => {
    const window = new NonceWindow(1000, 3);
    for (let i = 0; i < 3; i++) expect(window.fresh(`n${i}`, NOW)).toBe(true);
    expect(window.fresh('n3', NOW)).toBe(false);
    expect(window.fresh('n0', NOW + 10)).toBe(false);
    expect(window.has('n0', NOW + 10)).toBe(true);
    // Once they leave the window, there is room again.
    expect(window.fresh('n4', NOW + 1001)).toBe(true);
    expect(window.has('n0', NOW + 1001)).toBe(false);
  });

  it('give each owner of nonces a bounded share of the window', () => {
    const window = new NonceWindow(1000, 10, 2);
    expect(window.fresh('a1', NOW, 'a')).toBe(true);
    expect(window.fresh('a2', NOW, 'a')).toBe(true);
    expect(window.room(NOW, 'a')).toBe(false);
    expect(window.fresh('a3', NOW, 'a')).toBe(false);
    expect(window.fresh('b1', NOW, 'b')).toBe(true);
    expect(window.fresh('a4', NOW + 1001, 'a')).toBe(true);
  });

  it('take an owner within its reserve when others fill the window, forgetting none, for a bounded number of owners', () => {
    // 4 in all, 4 of one owner, 1 reserved for each of at most 3 owners: never more than 4 + 3 * 1.
    const window = new NonceWindow(1000, 4, 4, 1, 3);
    for (let i = 0; i < 4; i++) expect(window.fresh(`a${i}`, NOW, 'a')).toBe(true);
    expect(window.room(NOW, 'a')).toBe(false);
    // Full: b and c each get their reserve, and no more.
    expect(window.fresh('b0', NOW, 'b')).toBe(true);
    expect(window.fresh('b1', NOW, 'b')).toBe(false);
    expect(window.fresh('c0', NOW, 'c')).toBe(true);
    // A fourth owner finds no place; a nonce still in the window is never forgotten to make room.
    expect(window.fresh('d0', NOW, 'd')).toBe(false);
    expect(window.fresh('a0', NOW + 10, 'a')).toBe(false);
    expect(window.size(NOW + 10)).toBe(6);
    // Once a's leave the window, d has a place again.
    expect(window.fresh('d0', NOW + 1001, 'd')).toBe(true);
  });
});
