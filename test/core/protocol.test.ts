import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { MESSAGE_BYTES_MAX, VALUE_BYTES_MAX } from '../../src/core/limits.js';
import { decodeMessage, encodeMessage, type Message, PROTOCOL_VERSION } from '../../src/core/protocol.js';

const clock = [{ node: 'n1~e1', counter: 2, time: 5 }];
const dot = { node: 'n1~e1', counter: 2 };
const record = { key: 'cart', versions: [{ value: new Uint8Array([1, 2, 3]), clock, deleted: false, dot }], seen: clock };

describe('wire protocol', () => {
  const samples: Message[] = [
    { t: 'gossip', hash: 'h', stage: 0 },
    {
      t: 'gossip',
      hash: 'h',
      stage: 1,
      entries: [{ id: 'n1', status: 'up', capacity: 1, tokens: ['0'.repeat(32)], version: 3, key: 'a_b-c', sig: 'xyz' }],
    },
    { t: 'read', id: 7, key: 'cart' },
    { t: 'read-reply', id: 7, record, hinted: false },
    { t: 'read-reply', id: 7, record: null, hinted: true },
    { t: 'write', id: 8, record, hint: 'n4' },
    { t: 'write-reply', id: 8, error: { code: 'storage', message: 'full' } },
    { t: 'write', id: 8, record, dot },
    { t: 'write-reply', id: 8, error: { code: 'invalid', message: 'not held' }, known: { actor: 'n1~e1', counter: 2 ** 48 } },
    { t: 'forward', id: 9, op: 'put', key: 'cart', value: new Uint8Array(4), context: 'abc', w: 2 },
    { t: 'forward-reply', id: 9, result: { clock, context: 'abc', dot } },
    { t: 'forward-reply', id: 9, error: { code: 'unavailable', message: 'not a replica' } },
    { t: 'ae-root', ring: 12345, root: new Uint8Array(16), salt: 2 ** 32 - 1, sketch: new Uint8Array(12) },
    { t: 'ae-sketch', salt: 3, depth: 1, buckets: [0, 15], split: true, sketch: new Uint8Array(2 * 16 * 12) },
    { t: 'ae-pull', salt: 3, elements: new Uint8Array(8) },
    { t: 'ae-push', records: [{ ...record, cloud: [{ node: 'n2~e7', counter: 9 }] }] },
    { t: 'ae-push', records: [record], salt: 3, depth: 2, buckets: [17], sketch: new Uint8Array(36) },
    { t: 'handoff-ack', id: 1, key: 'cart', digest: new Uint8Array(16) },
    { t: 'transfer-ack', id: 1, keys: ['cart'], digests: new Uint8Array(16) },
    { t: 'reap', record: { key: 'cart', versions: [], seen: clock } },
    { t: 'actor-fix', key: 'cart', actor: 'n1~e1', from: 2, next: 3, to: 2 ** 48 },
  ];

  it.each(samples.map((m) => [m.t, m]))('round-trips %s', (_, message) => {
    const decoded = decodeMessage(encodeMessage(message));
    expect(decoded).toEqual({ ok: true, message });
  });

  it('is compact: a write of a 1 KiB value costs little more than the value', () => {
    const bytes = encodeMessage({
      t: 'write',
      id: 1,
      record: { key: 'k', versions: [{ value: new Uint8Array(1024), clock, deleted: false, dot }], seen: clock },
    });
    expect(bytes.length).toBeLessThan(1024 + 200);
  });

  it('drops and classifies what a peer must not send', () => {
    expect(decodeMessage(new Uint8Array(MESSAGE_BYTES_MAX + 1))).toMatchObject({ ok: false, reason: 'oversized' });
    expect(decodeMessage(new Uint8Array([0xc1, 0xff, 0x00]))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(decodeMessage(encode({ hello: 'world' }))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(decodeMessage(encode([PROTOCOL_VERSION + 1, { t: 'ping', id: 1 }]))).toMatchObject({ ok: false, reason: 'version' });
    expect(decodeMessage(encode([PROTOCOL_VERSION, { t: 'launch-missiles' }]))).toMatchObject({ ok: false, reason: 'invalid' });
    expect(decodeMessage(encode([PROTOCOL_VERSION, { t: 'read', id: -1, key: 'k' }]))).toMatchObject({ ok: false, reason: 'invalid' });
    expect(decodeMessage(encode([PROTOCOL_VERSION, { t: 'read', id: 1, key: 'x'.repeat(2000) }]))).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
    const bigValue = { ...record, versions: [{ value: new Uint8Array(VALUE_BYTES_MAX + 1), clock, deleted: false, dot }] };
    expect(decodeMessage(encode([PROTOCOL_VERSION, { t: 'write', id: 1, record: bigValue }]))).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
    expect(
      decodeMessage(
        encode([PROTOCOL_VERSION, { t: 'write', id: 1, record: { ...record, versions: [{ value: 'str', clock, deleted: false, dot }] } }]),
      ),
    ).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('refuses counters past 2^53 and times that are not finite: one more event must always change a counter', () => {
    const huge = [{ node: 'n1~e1', counter: 2 ** 53, time: 5 }];
    expect(decodeMessage(encode([PROTOCOL_VERSION, { t: 'write', id: 1, record: { ...record, seen: huge } }]))).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
    const forever = [{ node: 'n1~e1', counter: 2, time: Infinity }];
    expect(decodeMessage(encode([PROTOCOL_VERSION, { t: 'write', id: 1, record: { ...record, seen: forever } }]))).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
    const noDot = { ...record, versions: [{ value: new Uint8Array(1), clock, deleted: false }] };
    expect(decodeMessage(encode([PROTOCOL_VERSION, { t: 'write', id: 1, record: noDot }]))).toMatchObject({ ok: false, reason: 'invalid' });
  });
});
