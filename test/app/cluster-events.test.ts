import { describe, expect, it, vi } from 'vitest';
import { type ClusterEvent, kindOf, MESSAGE_KINDS, noteOf, parseEnvelope, summarize } from '../../src/app/cluster-events.js';
import { decodeMessage, encodeMessage, type Message } from '../../src/core/protocol.js';

const record = { key: 'cart:a', versions: [], seen: [] };

describe('the cluster view’s event format', () => {
  it('gives every message type of the protocol a kind the legend knows', () => {
    const types: Message['t'][] = [
      'read',
      'write',
      'read-reply',
      'write-reply',
      'forward',
      'gossip',
      'ping',
      'handoff',
      'ae-push',
      'transfer-data',
      'reap',
    ];
    expect(types.map(kindOf)).toEqual([
      'read',
      'write',
      'reply',
      'reply',
      'forward',
      'gossip',
      'gossip',
      'hand-off',
      'anti-entropy',
      'transfer',
      'anti-entropy',
    ]);
    for (const t of types) expect(MESSAGE_KINDS).toContain(kindOf(t));
    // New anti-entropy messages need no change here.
    expect(kindOf('ae-anything-new')).toBe('anti-entropy');
  });

  it('sums a message up without its data: type, request id, key, hint', () => {
    const write: Message = { t: 'write', id: 42, record, hint: 'n3' };
    const bytes = encodeMessage(write);
    const decoded = decodeMessage(bytes);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(summarize(decoded.message, bytes.length)).toEqual({ type: 'write', id: 42, key: 'cart:a', hint: 'n3', bytes: bytes.length });
    expect(summarize({ t: 'read-reply', id: 7, record: null, hinted: false }, 10)).toEqual({ type: 'read-reply', id: 7, bytes: 10 });
    expect(summarize({ t: 'transfer-offer', id: 1, keys: ['a', 'b'] }, 5)).toEqual({ type: 'transfer-offer', id: 1, keys: 2, bytes: 5 });
  });

  it('keeps node events as notes, without the versions a hint carries, and drops what the view does not show', () => {
    expect(noteOf({ type: 'stored', key: 'k' })).toBeUndefined();
    expect(noteOf({ type: 'membership' })).toBeUndefined();
    expect(noteOf({ type: 'hint-stored', key: 'k', target: 'n2', versions: [] })).toEqual({ type: 'hint-stored', key: 'k', target: 'n2' });
    expect(noteOf({ type: 'op-done', req: 'n1#0', ok: true, detail: '2 of 3' })).toEqual({
      type: 'op-done',
      req: 'n1#0',
      ok: true,
      detail: '2 of 3',
    });
  });

  it('accepts the envelopes tabs post and drops anything else with a warning', () => {
    const events: ClusterEvent[] = [
      { k: 'send', t: 1.5, node: 'a', peer: 'b', msg: { type: 'write', id: 3, key: 'k', bytes: 20 } },
      { k: 'state', t: 2, node: 'a', state: { status: 'crashed', cut: ['b'], keys: 1, hints: 0, started: 0 } },
      { k: 'note', t: 3, node: 'a', note: { type: 'reachability', node: 'b', reachable: false } },
    ];
    expect(parseEnvelope({ v: 1, type: 'events', node: 'a', events })).toEqual({ v: 1, type: 'events', node: 'a', events });
    expect(parseEnvelope({ v: 1, type: 'watch' })).toEqual({ v: 1, type: 'watch' });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(parseEnvelope({ v: 2, type: 'watch' })).toBeUndefined();
    expect(parseEnvelope({ v: 1, type: 'events', node: 'a', events: [{ k: 'send', t: 'soon', node: 'a' }] })).toBeUndefined();
    expect(
      parseEnvelope({ v: 1, type: 'events', node: 'a', events: [{ k: 'state', t: 1, node: 'a', state: { status: 'asleep' } }] }),
    ).toBeUndefined();
    expect(parseEnvelope('<img src=x>')).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(4);
    warn.mockRestore();
  });
});
