/**
 * Where a put's time goes, from the marks bench/node-page.ts records in every tab while tab 0 puts
 * keys it replicates, one at a time. For each put, on the path to its quorum (the coordinator's
 * own copy and the first other replica to acknowledge, W = 2), on the clock all tabs share:
 *
 *   A put called · B, C the coordinator's IndexedDB write · D the write handed to the channel ·
 *   E it reaches the replica's node · F, G the replica's IndexedDB write · H the reply handed to
 *   the channel · I the reply reaches the coordinator's node · J the put resolves.
 *
 * The stages the issue asks for: IndexedDB (the replica's write, and the coordinator's where the
 * path waits for it); channel (a plain data channel's round trip, measured in the same run);
 * queueing (the rest of D→E and H→I: waiting in the channels' and the event loops' queues);
 * encode and validate (the write and its reply each encoded and decoded, timed afterwards on the
 * traced frames, the median of each); the node's own work (all the rest: the API, the dot and the new record, admission,
 * merging, the coordinator's bookkeeping, promise turns). The page's own work is measured apart
 * (bench/browser.ts: the same puts through the node page, less these).
 */
import { round } from './stats.js';

interface Mark {
  readonly what: 'idb' | 'send' | 'recv' | 'event';
  readonly t0: number;
  readonly t1: number;
  readonly key?: string;
  readonly peer?: string;
  readonly t?: string;
  readonly decodeUs?: number;
  readonly encodeUs?: number;
}

export interface Trace {
  readonly puts: { key: string; t0: number; t1: number }[];
  readonly ids: string[];
  readonly marks: Mark[][];
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};

export function breakdown(trace: Trace, roundTripMs: number) {
  const [coordinator, ...others] = trace.ids;
  const mine = trace.marks[0]!;
  const segments: Record<string, number[]> = {
    'A-B before the local write': [],
    'B-C local IndexedDB write': [],
    'C-D after the local write, to the channel': [],
    'D-E to the replica': [],
    'E-F replica, before its write': [],
    'F-G replica IndexedDB write': [],
    'G-H replica, to the channel': [],
    'H-I back to the coordinator': [],
    'I-J coordinator, to the put resolved': [],
  };
  const stages: Record<string, number[]> = { indexedDb: [], channel: [], queueing: [], encodeAndValidate: [], nodeWork: [], total: [] };
  // Encoding and decoding (with validation) a write and its reply: each the median over every traced frame of its kind.
  const codec = (t: string, field: 'encodeUs' | 'decodeUs') =>
    median(trace.marks.flat().flatMap((m) => (m.t === t && m[field] !== undefined ? [m[field]] : [])));
  const encodeAndValidate =
    (codec('write', 'encodeUs') + codec('write', 'decodeUs') + codec('write-reply', 'encodeUs') + codec('write-reply', 'decodeUs')) / 1000;
  let skipped = 0;
  for (const put of trace.puts) {
    const A = put.t0;
    const J = put.t1;
    const local = mine.find((m) => m.what === 'idb' && m.key === put.key && m.t0 >= A);
    let best: { D: number; E: number; F: number; G: number; H: number; I: number } | undefined;
    others.forEach((id, i) => {
      const theirs = trace.marks[i + 1]!;
      const sent = mine.find((m) => m.what === 'send' && m.t === 'write' && m.key === put.key && m.peer === id && m.t0 >= A);
      const got = theirs.find((m) => m.what === 'recv' && m.t === 'write' && m.key === put.key && m.peer === coordinator);
      const idb = theirs.find((m) => m.what === 'idb' && m.key === put.key);
      if (!sent || !got || !idb) return;
      const reply = theirs.find((m) => m.what === 'send' && m.t === 'write-reply' && m.peer === coordinator && m.t0 >= idb.t1);
      if (!reply) return;
      const back = mine.find((m) => m.what === 'recv' && m.t === 'write-reply' && m.peer === id && m.t0 >= reply.t0);
      if (!back || back.t0 > J) return;
      if (!best || back.t0 < best.I) best = { D: sent.t0, E: got.t0, F: idb.t0, G: idb.t1, H: reply.t0, I: back.t0 };
    });
    if (!local || !best) {
      skipped++;
      continue;
    }
    const B = local.t0;
    const C = local.t1;
    const { D, E, F, G, H, I } = best;
    const v = [B - A, C - B, D - C, E - D, F - E, G - F, H - G, I - H, J - I];
    Object.values(segments).forEach((list, k) => {
      list.push(v[k]!);
    });
    // The coordinator's own write is on the path where the channel waits for it, or where it outlasts the reply.
    const localOnPath = C <= D ? C - B : Math.max(0, C - I);
    const indexedDb = localOnPath + (G - F);
    const transit = E - D + (I - H);
    stages.indexedDb!.push(indexedDb);
    stages.channel!.push(roundTripMs);
    stages.queueing!.push(transit - roundTripMs);
    stages.encodeAndValidate!.push(encodeAndValidate);
    stages.nodeWork!.push(J - A - indexedDb - transit - encodeAndValidate);
    stages.total!.push(J - A);
  }
  const means = (r: Record<string, number[]>) => Object.fromEntries(Object.entries(r).map(([k, xs]) => [k, round(mean(xs))]));
  const medians = (r: Record<string, number[]>) => Object.fromEntries(Object.entries(r).map(([k, xs]) => [k, round(median(xs))]));
  return {
    puts: trace.puts.length - skipped,
    stagesMean: means(stages),
    stagesMedian: medians(stages),
    totalMedian: round(median(stages.total!)),
    segmentsMean: means(segments),
    segmentsMedian: medians(segments),
  };
}
