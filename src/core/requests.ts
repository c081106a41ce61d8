/** Checks of what a client hands in, each failing with a clear 'invalid' error. */
import { DynamoError } from './errors.js';
import { utf8Length } from './hash.js';
import { KEY_BYTES_MAX, VALUE_BYTES_MAX } from './limits.js';

export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new DynamoError('invalid', 'key must be a non-empty string');
  const bytes = utf8Length(key);
  if (bytes > KEY_BYTES_MAX) throw new DynamoError('invalid', `key of ${bytes} bytes is over the limit of ${KEY_BYTES_MAX} bytes`);
}

export function checkValue(value: Uint8Array): void {
  if (!(value instanceof Uint8Array)) throw new DynamoError('invalid', 'value must be a Uint8Array');
  if (value.length > VALUE_BYTES_MAX) {
    throw new DynamoError('invalid', `value of ${value.length} bytes is over the limit of ${VALUE_BYTES_MAX} bytes (1 MiB)`);
  }
}

/** R or W for one request: the given one, or the cluster's default; from 1 to N. */
export function quorum(name: 'r' | 'w', given: number | undefined, fallback: number, n: number): number {
  const q = given ?? fallback;
  if (!Number.isInteger(q) || q < 1 || q > n) {
    throw new DynamoError('invalid', `${name.toUpperCase()} must be an integer from 1 to N (${n}), got ${String(given)}`);
  }
  return q;
}
