export type DynamoErrorCode =
  | 'invalid' // bad key, value, context or option from the caller
  | 'quorum' // fewer than R or W replicas answered in time
  | 'unavailable' // no node that may coordinate could be reached, or the node is stopped
  | 'storage'; // the local store refused the write (for example, quota exceeded)

/** Every failed request rejects with one of these; the message says what happened in numbers. */
export class DynamoError extends Error {
  constructor(
    readonly code: DynamoErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DynamoError';
  }
}

/**
 * A merge of a peer's record that a replica refuses (batch.ts, `outgrown`): its result would know
 * more than a record may and still travel. Nothing was stored; the replica's record is as it was.
 */
export class MergeRefused extends DynamoError {
  constructor(message: string) {
    super('invalid', message);
    this.name = 'MergeRefused';
  }
}
