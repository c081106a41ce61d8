/** The lessons the cluster view offers (cluster.html#lesson=ID), in the order a course would take them. */
import { antiEntropy } from './anti-entropy.js';
import { figure3 } from './figure3.js';
import { hintedHandoff } from './hinted-handoff.js';
import { joinLeave } from './join-leave.js';
import type { Lesson } from './lesson.js';
import { lostWrite } from './lost-write.js';
import { partition } from './partition.js';
import { strategies } from './strategies.js';
import { truncation } from './truncation.js';

export const LESSONS: readonly Lesson[] = [figure3, hintedHandoff, partition, joinLeave, antiEntropy, truncation, lostWrite, strategies];

export function lessonById(id: string): Lesson | undefined {
  return LESSONS.find((l) => l.id === id);
}
