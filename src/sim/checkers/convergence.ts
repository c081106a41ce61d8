/** The live replicas of every key hold identical version sets. */
import { bytesEqual } from '../../core/merkle.js';
import { formatClock } from '../../core/vclock.js';
import type { Checker } from './view.js';

export const convergence: Checker = (view) => {
  const problems: string[] = [];
  const keys = new Set<string>();
  for (const store of view.live.values()) for (const key of store.keys()) keys.add(key);
  for (const key of [...keys].sort()) {
    const replicas = view.replicas(key).filter((r) => view.live.has(r));
    const [first, ...rest] = replicas;
    if (!first) continue;
    const reference = view.live.get(first)!;
    for (const other of rest) {
      const store = view.live.get(other)!;
      if (bytesEqual(store.digest(key), reference.digest(key))) continue;
      const show = (id: string) =>
        view.live
          .get(id)!
          .get(key)
          ?.versions.map((v) => formatClock(v.clock) + (v.deleted ? '(deleted)' : ''))
          .join(' ') ?? 'nothing';
      problems.push(`convergence: replicas of "${key}" differ: ${first} holds ${show(first)}, ${other} holds ${show(other)}`);
    }
  }
  return problems;
};
