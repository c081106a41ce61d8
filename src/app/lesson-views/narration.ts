/**
 * The lesson's narration, read aloud by the teacher: "Step 2 of 7" and the step's caption,
 * following the playback (the step is the last one begun at the time drawn). Playing stops at the
 * start of each step (unless the teacher unticks it), so the class reads before it watches;
 * "Previous step" and "Next step" jump to a step's start.
 */
import type { ClusterPlayer } from '../cluster-player.js';
import type { Scene } from '../cluster-scene.js';
import { h } from '../dom.js';
import type { LessonStep } from '../lessons/lesson.js';

/** Which step is shown at display time `d`: the last one begun by then (the first before any). */
export function stepAt(starts: readonly number[], d: number): number {
  let i = 0;
  while (i + 1 < starts.length && starts[i + 1]! <= d) i++;
  return i;
}

export function narration(
  player: ClusterPlayer,
  title: string,
  steps: readonly LessonStep[],
  starts: readonly number[],
): { el: HTMLElement; draw(scene: Scene): void } {
  const count = h('span', { class: 'cv-step', 'data-testid': 'lesson-step' });
  const caption = h('p', { class: 'cv-caption', 'data-testid': 'lesson-caption', 'aria-live': 'polite' });
  let current = 0;
  const go = (i: number) => player.scrub(starts[Math.max(0, Math.min(starts.length - 1, i))]!);
  const prev = h(
    'button',
    {
      type: 'button',
      onclick: () => go(player.d > starts[current]! + 1e-6 ? current : current - 1),
      title: 'Back to the start of this step, or of the one before',
    },
    '← Previous step',
  );
  const next = h('button', { type: 'button', onclick: () => go(current + 1), title: 'Jump to the start of the next step' }, 'Next step →');
  const hold = h('input', {
    type: 'checkbox',
    id: 'cv-hold',
    checked: player.holdAtBreaks,
    onchange: (e: Event) => {
      player.holdAtBreaks = (e.target as HTMLInputElement).checked;
    },
  });
  const el = h(
    'section',
    { class: 'cv-lesson', 'aria-labelledby': 'cv-lesson-h' },
    h(
      'div',
      { class: 'cv-lesson-head' },
      h('h2', { id: 'cv-lesson-h' }, title),
      count,
      h('span', { class: 'cv-lesson-buttons' }, prev, next, h('label', { class: 'cv-hold' }, hold, 'Stop at each step')),
    ),
    caption,
  );
  let shown = -1;
  const draw = (scene: Scene) => {
    current = stepAt(starts, scene.d);
    prev.disabled = current === 0 && scene.d <= starts[0]! + 1e-6;
    next.disabled = current >= steps.length - 1;
    if (current === shown) return;
    shown = current;
    count.textContent = `Step ${current + 1} of ${steps.length}`;
    caption.textContent = steps[current]?.caption ?? '';
  };
  return { el, draw };
}
