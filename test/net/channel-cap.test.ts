/** Which channel closes to stay within the cap (channel-cap.ts), apart from any transport. */
import { describe, expect, it } from 'vitest';
import { type CapLink, IDLE_MS, MIN_OPEN_MS, type RoomAsked, roomFor } from '../../src/net/channel-cap.js';

const NOW = 100_000;

/** An open channel, idle unless said otherwise, open long enough to be closed when busy. */
function open(peer: string, extra: Partial<CapLink> = {}): CapLink {
  return { peer, state: 'open', held: false, sp: {}, queue: [], lastUsed: NOW - 2 * IDLE_MS, openedAt: NOW - 2 * MIN_OPEN_MS, ...extra };
}

const busy = (peer: string, extra: Partial<CapLink> = {}) => open(peer, { lastUsed: NOW - 10, ...extra });

function ask(extra: Partial<RoomAsked> = {}): RoomAsked {
  return { maxChannels: 3, keep: () => [], now: NOW, urgent: false, incoming: false, ...extra };
}

const peerOf = (r: ReturnType<typeof roomFor>) => (typeof r === 'string' ? r : r.peer);

describe('room for a channel within the cap', () => {
  it('is there without closing anything below the cap, dials held for room not counted, nor the peer’s own dial', () => {
    const links = [open('a'), open('b'), { ...open('c'), held: true, sp: undefined }];
    expect(roomFor(links, 'x', ask())).toBe('room');
    expect(roomFor([...links, open('x', { state: 'dialling' })], 'x', ask())).toBe('room');
  });

  it('closes the least recently used idle channel first, sparing the peers to keep', () => {
    const links = [open('a', { lastUsed: NOW - 9000 }), open('b', { lastUsed: NOW - 5000 }), open('c', { lastUsed: NOW - 7000 })];
    expect(peerOf(roomFor(links, 'x', ask()))).toBe('a');
    expect(peerOf(roomFor(links, 'x', ask({ keep: () => ['a'] })))).toBe('c');
    // At most three quarters of the cap are spared: with a cap of 3, only the first two named.
    expect(peerOf(roomFor(links, 'x', ask({ keep: () => ['c', 'a', 'b'] })))).toBe('b');
  });

  it('a channel with messages waiting is busy, however long ago it was used', () => {
    const links = [open('a', { queue: [1] }), open('b', { lastUsed: NOW - 3000 }), busy('c')];
    expect(peerOf(roomFor(links, 'x', ask()))).toBe('b');
  });

  it('closes a busy channel only when asked urgently, and only one open for MIN_OPEN_MS', () => {
    const links = [
      busy('a', { lastUsed: NOW - 100 }),
      busy('b', { lastUsed: NOW - 200, openedAt: NOW - 10 }),
      busy('c', { lastUsed: NOW - 50 }),
    ];
    expect(roomFor(links, 'x', ask())).toBe('none');
    expect(peerOf(roomFor(links, 'x', ask({ urgent: true })))).toBe('a');
  });

  it('for a peer’s channel only: one of ours being opened, the one waiting for the peer’s offer first, and last an open one younger than MIN_OPEN_MS', () => {
    const young = busy('y', { openedAt: NOW - 10 });
    const offering = open('o', { state: 'dialling', sp: {} });
    const waiting = open('w', { state: 'dialling', sp: undefined });
    expect(roomFor([young, offering, waiting], 'x', ask({ urgent: true }))).toBe('none');
    expect(peerOf(roomFor([young, offering, waiting], 'x', ask({ urgent: true, incoming: true })))).toBe('w');
    expect(peerOf(roomFor([young, offering, busy('z', { openedAt: NOW - 20 })], 'x', ask({ incoming: true })))).toBe('o');
    expect(
      peerOf(
        roomFor(
          [young, busy('z', { openedAt: NOW - 20, lastUsed: NOW - 1 }), busy('q', { openedAt: NOW - 30 })],
          'x',
          ask({ incoming: true }),
        ),
      ),
    ).toBe('y');
  });

  it('never closes the link to the peer it makes room for, nor a held dial (it holds no channel)', () => {
    // Busy and young: only a peer's channel may close one of them, and only as a last resort.
    const young = (peer: string) => busy(peer, { lastUsed: NOW - 1, openedAt: NOW - 10 });
    const ours = open('x', { state: 'dialling', sp: undefined, lastUsed: NOW - 99_999 });
    const held = open('h', { state: 'dialling', sp: undefined, held: true, lastUsed: NOW - 99_999 });
    const chosen = roomFor([young('a'), young('b'), young('c'), ours, held], 'x', ask({ urgent: true, incoming: true }));
    expect(['a', 'b', 'c']).toContain(peerOf(chosen));
  });

  it('idle from exactly IDLE_MS on; a busy channel closable from exactly MIN_OPEN_MS open', () => {
    expect(peerOf(roomFor([open('a', { lastUsed: NOW - IDLE_MS }), busy('b'), busy('c')], 'x', ask()))).toBe('a');
    const atMin = busy('a', { lastUsed: NOW - 1, openedAt: NOW - MIN_OPEN_MS });
    expect(roomFor([atMin, busy('b', { openedAt: NOW - 10 }), busy('c', { openedAt: NOW - 10 })], 'x', ask({ urgent: true }))).toBe(atMin);
  });
});
