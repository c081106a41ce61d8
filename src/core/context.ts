/**
 * The opaque `context` a get returns and a put takes (Dynamo 4.1): the merged vector clock of
 * what the reader saw, as base64url of a compact JSON array of [node, counter, time] triples.
 */
import type { VClock } from './vclock.js';
import { DynamoError } from './errors.js';

const CONTEXT_LENGTH_MAX = 16 * 1024;

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

export function encodeContext(clock: VClock): string {
  return toBase64Url(JSON.stringify(clock.map((e) => [e.node, e.counter, e.time])));
}

/** Decodes a context; anything that is not one we made is a clear 'invalid' error. */
export function decodeContext(context: string): VClock {
  if (typeof context !== 'string' || context.length > CONTEXT_LENGTH_MAX) {
    throw new DynamoError('invalid', 'invalid context: not a context string returned by get');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromBase64Url(context));
  } catch {
    throw new DynamoError('invalid', 'invalid context: not a context string returned by get');
  }
  const seen = new Set<string>();
  if (!Array.isArray(parsed)) throw new DynamoError('invalid', 'invalid context: expected a clock');
  const clock = parsed.map((entry) => {
    if (
      !Array.isArray(entry) ||
      entry.length !== 3 ||
      typeof entry[0] !== 'string' ||
      entry[0].length === 0 ||
      seen.has(entry[0]) ||
      !Number.isSafeInteger(entry[1]) ||
      entry[1] < 1 ||
      typeof entry[2] !== 'number' ||
      !Number.isFinite(entry[2])
    ) {
      throw new DynamoError('invalid', 'invalid context: malformed clock entry');
    }
    seen.add(entry[0]);
    return { node: entry[0] as string, counter: entry[1] as number, time: entry[2] as number };
  });
  return clock.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}
