/**
 * Time under the teacher's hand: play or pause, step to the next message, the speed (real time
 * down to a hundred times slower; faster too for the simulator), and either the timeline to scrub
 * (simulator) or the queue of events not yet drawn with a button to catch up (live). The clock
 * shows the time being drawn to the millisecond.
 */
import type { ClusterPlayer } from '../cluster-player.js';
import { SPEEDS } from '../cluster-player.js';
import type { Scene } from '../cluster-scene.js';
import { fill, h } from '../dom.js';

export function speedName(speed: number): string {
  return speed >= 1 ? (speed === 1 ? 'real time' : `×${speed}`) : `1/${Math.round(1 / speed)}`;
}

export function clusterControls(
  player: ClusterPlayer,
  time: (t: number) => string,
): { el: HTMLElement; counts: HTMLElement; draw(scene: Scene): void } {
  const live = player.state.source.kind === 'live';
  const playButton = h('button', {
    type: 'button',
    class: 'cv-play',
    title: 'Play or pause (space bar)',
    onclick: () => (player.state.playing ? player.pause() : player.play()),
  });
  // A teacher's clicker sends arrows and page keys: space plays or pauses, → or Page Down steps.
  document.addEventListener('keydown', (e) => {
    const target = e.target as HTMLElement | null;
    if (e.altKey || e.ctrlKey || e.metaKey || target?.closest('input, select, textarea, button, summary')) return;
    if (e.key === ' ') {
      if (player.state.playing) player.pause();
      else player.play();
    } else if (e.key === 'ArrowRight' || e.key === 'PageDown') player.step();
    else return;
    e.preventDefault();
  });
  const stepButton = h(
    'button',
    { type: 'button', onclick: () => player.step(), title: 'Pause, then move on until the next message arrives (→ key)' },
    'Step',
  );
  const speed = h(
    'select',
    { id: 'cv-speed', onchange: (e: Event) => player.setSpeed(Number((e.target as HTMLSelectElement).value)) },
    SPEEDS.filter((v) => !live || v <= 1).map((v) => h('option', { value: v, selected: v === player.state.speed }, speedName(v))),
  );
  const timeline = h('input', {
    id: 'cv-timeline',
    type: 'range',
    min: 0,
    max: 0,
    step: 'any',
    value: 0,
    oninput: (e: Event) => player.scrub(Number((e.target as HTMLInputElement).value)),
  });
  const clock = h('span', { class: 'cv-clock', 'data-testid': 'cluster-clock' });
  const counts = h('span', { class: 'cv-counts', 'data-testid': 'cluster-counts' });
  const queue = h('span', { class: 'cv-queue', 'data-testid': 'cluster-queue' });
  const catchUp = h('button', { type: 'button', onclick: () => player.catchUp(), title: 'Draw the newest events now' }, 'Catch up');
  const el = h(
    'div',
    { class: 'cv-controls', role: 'group', 'aria-label': 'Time' },
    playButton,
    stepButton,
    h('label', { for: 'cv-speed' }, 'Speed'),
    speed,
    live
      ? h('span', { class: 'cv-live' }, queue, catchUp)
      : h('span', { class: 'cv-scrub' }, h('label', { for: 'cv-timeline' }, 'Timeline'), timeline),
    clock,
  );
  let start = 0;
  const draw = (scene: Scene) => {
    const { playing } = player.state;
    fill(playButton, playing ? 'Pause' : 'Play');
    playButton.setAttribute('aria-pressed', String(playing));
    const tl = player.timeline;
    start = tl.entries[0]?.d ?? 0;
    if (!live) {
      timeline.min = String(start);
      timeline.max = String(tl.end);
      if (document.activeElement !== timeline || playing) timeline.value = String(scene.d);
      timeline.setAttribute('aria-valuetext', time(scene.t));
    }
    clock.textContent = tl.length ? time(scene.t) : '–';
    const flying = scene.dots.length;
    counts.textContent = `${scene.delivered} delivered, ${scene.lost} lost, ${flying} in flight`;
    queue.textContent =
      scene.waiting === 0 ? 'nothing waiting' : `${scene.waiting} ${scene.waiting === 1 ? 'message' : 'messages'} waiting`;
    catchUp.disabled = scene.waiting === 0;
  };
  return { el, counts, draw };
}
