import { describe, expect, it } from 'vitest';
import { decodeContext, encodeContext } from '../../src/core/context.js';
import { DynamoError } from '../../src/core/errors.js';

describe('context', () => {
  it('round-trips what a reader saw (vector and single events), actors with any characters included', () => {
    const cc = {
      vv: [
        { node: 'n1~e', counter: 1, time: 2 },
        { node: 'tab-ü✓~e', counter: 3, time: 17 },
      ],
      cloud: [{ node: 'n2~e', counter: 9 }],
    };
    expect(decodeContext('cart', encodeContext('cart', cc))).toEqual(cc);
    expect(decodeContext('cart', encodeContext('cart', { vv: [], cloud: [] }))).toEqual({ vv: [], cloud: [] });
  });

  it('is good only for the key it was read from', () => {
    const context = encodeContext('cart:alice', { vv: [{ node: 'n1~e', counter: 4, time: 1 }], cloud: [] });
    expect(() => decodeContext('cart:bob', context)).toThrow(/invalid context: it was returned for another key than "cart:bob"/);
  });

  const tag = JSON.parse(atob(encodeContext('k', { vv: [], cloud: [] })))[0] as string;
  it.each([
    ['garbage', 'not base64 ***'],
    ['not a clock', btoa('{"a":1}')],
    ['a bad counter', btoa(JSON.stringify([tag, [['n1', 0, 1]]]))],
    ['a counter past 2^53', btoa(JSON.stringify([tag, [['n1', 2 ** 53, 1]]]))],
    [
      'a duplicated actor',
      btoa(
        JSON.stringify([
          tag,
          [
            ['n1', 1, 1],
            ['n1', 2, 1],
          ],
        ]),
      ),
    ],
    ['a malformed event', btoa(JSON.stringify([tag, [], [['n1']]]))],
    ['a huge string', 'x'.repeat(20000)],
  ])('rejects %s with a clear error', (_, context) => {
    expect(() => decodeContext('k', context)).toThrow(DynamoError);
    expect(() => decodeContext('k', context)).toThrow(/invalid context/);
  });
});
