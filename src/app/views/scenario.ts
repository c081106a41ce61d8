/** The guided replay of the paper's Figure 3, one step per click, each with its sentence and the clock the live cluster produced. */
import type { Controller } from '../controller.js';
import { fill, h } from '../dom.js';
import { type Scenario, STEPS } from '../scenario.js';
import { watch } from './watch.js';

export function scenarioView(c: Controller, scenario: Scenario): HTMLElement {
  const next = h('button', { type: 'button', class: 'primary', onclick: () => void scenario.next() });
  const restart = h('button', { type: 'button', onclick: () => scenario.reset() }, 'Restart');
  const body = h('div', { class: 'scroll scenario-body' });
  watch(
    c.store,
    (st) => st.scenario,
    (sc) => {
      next.textContent =
        sc.step === 0 ? 'Start: write D1' : sc.step >= STEPS.length ? 'Finished' : `Next step (${sc.step + 1} of ${STEPS.length})`;
      next.disabled = sc.busy || sc.step >= STEPS.length;
      fill(
        body,
        h(
          'p',
          { class: 'muted' },
          'Section 4.4 of the paper follows one object through five versions, D1 to D5, handled by three nodes Sx, Sy and Sz. Here the three replicas of a fresh key play them, and every step is a real request.',
        ),
        sc.roles ? h('p', {}, `Sx = ${sc.roles.Sx}, Sy = ${sc.roles.Sy}, Sz = ${sc.roles.Sz}; key `, h('code', {}, sc.key ?? '')) : null,
        h(
          'ol',
          { class: 'steps' },
          sc.done.map((d) => h('li', {}, h('p', {}, d.sentence), h('p', {}, h('code', { class: 'clock' }, d.result)))),
        ),
        sc.step < STEPS.length && sc.roles ? h('p', { class: 'muted' }, `Next: ${STEPS[sc.step]!.sentence(sc.roles)}`) : null,
        sc.step >= STEPS.length
          ? h('p', { class: 'ok' }, 'D5 descends from D3 and D4: one version remains on every replica. See it in the key inspector.')
          : null,
        sc.error ? h('p', { class: 'error', role: 'alert' }, sc.error) : null,
      );
    },
  );
  return h(
    'section',
    { class: 'panel scenario-panel', 'aria-labelledby': 'scenario-h' },
    h('h2', { id: 'scenario-h' }, 'Guided scenario: Figure 3'),
    h('div', { class: 'inline' }, next, restart),
    body,
  );
}
