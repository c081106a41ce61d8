import { describe, expect, it } from 'vitest';
import { decodeContext, encodeContext } from '../../src/core/context.js';
import { DynamoError } from '../../src/core/errors.js';

describe('context', () => {
  it('round-trips a clock, node ids with any characters included', () => {
    const clock = [
      { node: 'tab-ü✓', counter: 3, time: 17 },
      { node: 'n1', counter: 1, time: 2 },
    ];
    expect(decodeContext(encodeContext(clock))).toEqual([clock[1], clock[0]]);
    expect(decodeContext(encodeContext([]))).toEqual([]);
  });

  it.each([
    ['garbage', 'not base64 ***'],
    ['not a clock', btoa('{"a":1}')],
    ['a bad counter', btoa('[["n1",0,1]]')],
    ['a duplicated node', btoa('[["n1",1,1],["n1",2,1]]')],
    ['a huge string', 'x'.repeat(20000)],
  ])('rejects %s with a clear error', (_, context) => {
    expect(() => decodeContext(context)).toThrow(DynamoError);
    expect(() => decodeContext(context)).toThrow(/invalid context/);
  });
});
