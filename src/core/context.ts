/**
 * The opaque `context` a get returns and a put takes (Dynamo 4.1): exactly what the reader saw of
 * one key (causal-context.ts), as base64url of a compact JSON array: a tag of the key, the
 * vector's [actor, counter, time] triples and the cloud's [actor, counter] pairs. A context is
 * only good for the key it was read from.
 */
import type { CausalContext } from './causal-context.js';
import { DynamoError } from './errors.js';
import { hash32 } from './hash.js';
import { COUNTER_MAX, TIME_MAX } from './limits.js';
import type { VClock } from './vclock.js';

const CONTEXT_LENGTH_MAX = 256 * 1024;
/** Actors and single events a context may name: a record's knowledge is never truncated. */
const VECTOR_MAX = 4096;
const CLOUD_MAX = 4096;

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

function keyTag(key: string): string {
  return hash32(`context:${key}`).toString(36);
}

export function encodeContext(key: string, cc: CausalContext): string {
  const vv = cc.vv.map((e) => [e.node, e.counter, e.time]);
  const cloud = cc.cloud.map((d) => [d.node, d.counter]);
  return toBase64Url(JSON.stringify(cloud.length > 0 ? [keyTag(key), vv, cloud] : [keyTag(key), vv]));
}

const invalid = (why: string) => new DynamoError('invalid', `invalid context: ${why}`);

const isActor = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 160;
// The wire's bounds (protocol.ts): a context outside them would make a record no replica accepts.
const isCounter = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 1 && (x as number) <= COUNTER_MAX;

/** Decodes a context of `key`; anything that is not one a get or put of this key returned is a clear 'invalid' error. */
export function decodeContext(key: string, context: string): CausalContext {
  if (typeof context !== 'string' || context.length > CONTEXT_LENGTH_MAX) throw invalid('not a context string returned by get');
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromBase64Url(context));
  } catch {
    throw invalid('not a context string returned by get');
  }
  if (!Array.isArray(parsed) || parsed.length < 2 || parsed.length > 3 || !Array.isArray(parsed[1])) throw invalid('expected a clock');
  if (parsed[0] !== keyTag(key)) throw invalid(`it was returned for another key than "${key}"`);
  const [, rawVv, rawCloud = []] = parsed as [unknown, unknown[], unknown];
  if (rawVv.length > VECTOR_MAX || !Array.isArray(rawCloud) || rawCloud.length > CLOUD_MAX) throw invalid('too many entries');
  const actors = new Set<string>();
  const vv = rawVv.map((entry) => {
    if (!Array.isArray(entry) || entry.length !== 3 || !isActor(entry[0]) || actors.has(entry[0]) || !isCounter(entry[1])) {
      throw invalid('malformed clock entry');
    }
    if (typeof entry[2] !== 'number' || !(entry[2] >= 0 && entry[2] <= TIME_MAX)) throw invalid('malformed clock entry');
    actors.add(entry[0]);
    return { node: entry[0], counter: entry[1], time: entry[2] };
  });
  const cloud = rawCloud.map((d) => {
    if (!Array.isArray(d) || d.length !== 2 || !isActor(d[0]) || !isCounter(d[1])) throw invalid('malformed event');
    return { node: d[0], counter: d[1] };
  });
  return { vv: vv.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0)) as VClock, cloud };
}
