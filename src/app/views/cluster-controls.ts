/**
 * Time under the teacher's hand: play or pause, step to the next message, the speed (real time
 * down to a hundred times slower; faster too for the simulator), and either the timeline to scrub
 * (simulator) or the queue of events not yet drawn with a button to catch up (live). The clock
 * shows the time being drawn to the millisecond. Live, "Hold the tabs' messages" makes the same
 * controls act on the tabs themselves (cluster-hold.ts): their nodes' time slows or stops, and a
 * step lets exactly one waiting message through.
 */
import { kindOf } from '../cluster-events.js';
import type { LiveHold } from '../cluster-hold.js';
import type { ClusterPlayer } from '../cluster-player.js';
import { SPEEDS } from '../cluster-player.js';
import { preciseNow } from '../cluster-publisher.js';
import type { Scene } from '../cluster-scene.js';
import { fill, h } from '../dom.js';

export function speedName(speed: number): string {
  return speed >= 1 ? (speed === 1 ? 'real time' : `×${speed}`) : `1/${Math.round(1 / speed)}`;
}

export function clusterControls(
  player: ClusterPlayer,
  time: (t: number) => string,
  hold?: LiveHold,
): { el: HTMLElement; counts: HTMLElement; draw(scene: Scene): void } {
  const live = player.state.source.kind === 'live';
  const holding = () => hold?.state.on === true;
  const playing = () => (holding() ? hold!.state.running : player.state.playing);
  const play = () => (holding() ? hold!.play() : player.play());
  const pause = () => (holding() ? hold!.pause() : player.pause());
  const step = () => (holding() ? hold!.step() : player.step());
  hold?.setShown((type) => player.state.shown.has(kindOf(type)));
  player.store.subscribe((now, before) => {
    if (now.shown !== before.shown) hold?.setShown((type) => player.state.shown.has(kindOf(type)));
  });
  const playButton = h('button', {
    type: 'button',
    class: 'cv-play',
    title: 'Play or pause (space bar)',
    onclick: () => (playing() ? pause() : play()),
  });
  // A teacher's clicker sends arrows and page keys: space plays or pauses, → or Page Down steps.
  document.addEventListener('keydown', (e) => {
    const target = e.target as HTMLElement | null;
    if (e.altKey || e.ctrlKey || e.metaKey || target?.closest('input, select, textarea, button, summary')) return;
    if (e.key === ' ') {
      if (playing()) pause();
      else play();
    } else if (e.key === 'ArrowRight' || e.key === 'PageDown') step();
    else return;
    e.preventDefault();
  });
  const stepButton = h(
    'button',
    { type: 'button', onclick: () => step(), title: 'Pause, then move on until the next message arrives (→ key)' },
    'Step',
  );
  const speed = h(
    'select',
    {
      id: 'cv-speed',
      onchange: (e: Event) => {
        const value = Number((e.target as HTMLSelectElement).value);
        if (holding()) hold!.setRate(value);
        else player.setSpeed(value);
      },
    },
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
  const heldText = h('span', { class: 'cv-held', 'data-testid': 'cluster-held', 'aria-live': 'polite' });
  const holdBox = h('input', {
    type: 'checkbox',
    id: 'cv-hold',
    onchange: (e: Event) => {
      const on = (e.target as HTMLInputElement).checked;
      // Holding, the drawing runs in real time: the tabs themselves are slowed, stopped and stepped.
      if (on) {
        const rate = Math.min(1, player.state.speed);
        player.setSpeed(1);
        player.play();
        player.catchUp();
        hold!.setRate(rate === 1 ? 1 / 10 : rate);
        player.timeline.holdFrom();
      } else {
        player.setSpeed(hold!.state.rate);
        player.timeline.holdEnds(preciseNow());
      }
      hold!.setOn(on);
      speed.value = String(on ? hold!.state.rate : player.state.speed);
    },
  });
  hold?.store.subscribe(() => player.redraw());
  const holdControl = hold
    ? h(
        'span',
        { class: 'cv-hold' },
        h(
          'label',
          {
            for: 'cv-hold',
            title:
              "Play, pause, step and speed act on the tabs of this room in this browser: their nodes' time slows or stops, and a step lets exactly one waiting message through",
          },
          holdBox,
          " Hold the tabs' messages",
        ),
        heldText,
      )
    : null;
  const el = h(
    'div',
    { class: 'cv-controls', role: 'group', 'aria-label': 'Time' },
    playButton,
    stepButton,
    h('label', { for: 'cv-speed' }, 'Speed'),
    speed,
    live
      ? h('span', { class: 'cv-live' }, queue, catchUp, holdControl)
      : h('span', { class: 'cv-scrub' }, h('label', { for: 'cv-timeline' }, 'Timeline'), timeline),
    clock,
  );
  let start = 0;
  const draw = (scene: Scene) => {
    const runs = playing();
    fill(playButton, runs ? 'Pause' : 'Play');
    playButton.setAttribute('aria-pressed', String(runs));
    if (hold) {
      const { on, held, next } = hold.state;
      holdBox.checked = on;
      heldText.textContent = !on
        ? ''
        : held === 0
          ? 'no message waiting in the tabs'
          : `${held} ${held === 1 ? 'message' : 'messages'} waiting in the tabs${next ? `; next: ${next.type} from ${player.names.nameOf(next.from)} to ${player.names.nameOf(next.node)}` : ''}`;
    }
    const tl = player.timeline;
    start = tl.entries[0]?.d ?? 0;
    if (!live) {
      timeline.min = String(start);
      timeline.max = String(tl.end);
      if (document.activeElement !== timeline || runs) timeline.value = String(scene.d);
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
