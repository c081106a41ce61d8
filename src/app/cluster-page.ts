/**
 * cluster.html: the whole cluster on one screen, for a class. `?room=NAME` watches the live tabs
 * of that room in this browser; `?sim=SEED` plays the simulator's classroom run of that seed.
 * The same views draw both.
 */
import { roomFrom } from '../browser/identity.js';
import type { NodeId } from '../core/ports.js';
import { LiveHold } from './cluster-hold.js';
import { LiveFeed } from './cluster-live.js';
import { ClusterPlayer, LIVE_TIMING, SIM_TIMING, type Source } from './cluster-player.js';
import type { Scene } from './cluster-scene.js';
import { h } from './dom.js';
import { narration } from './lesson-views/narration.js';
import { ringCompare } from './lesson-views/ring-compare.js';
import { versionGraph } from './lesson-views/version-graph.js';
import { LESSONS, lessonById } from './lessons/index.js';
import type { LessonRun } from './lessons/lesson.js';
import { NodeNames } from './node-names.js';
import { runClassroom, type SimRun } from './sim-feed.js';
import { runSwarmRecorded } from './swarm-feed.js';
import { clusterControls } from './views/cluster-controls.js';
import { clusterLogView } from './views/cluster-log.js';
import { clusterRing } from './views/cluster-ring.js';
import { kindLegend, nodesTable } from './views/cluster-side.js';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const wallTime = (t: number) => {
  const d = new Date(t);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
};
const simTime = (t: number) => `${(t / 1000).toFixed(3)} s`;

/** Names stay the same across reloads of this page: kept per room in this browser. */
function savedNames(room: string): { names: NodeNames; save: () => void } {
  const key = `dynamo-cluster-names:${room}`;
  let order: NodeId[] = [];
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(key) ?? '[]');
    if (Array.isArray(raw)) order = raw.filter((x): x is string => typeof x === 'string');
  } catch {
    order = [];
  }
  const names = new NodeNames(order);
  return { names, save: () => localStorage.setItem(key, JSON.stringify(names.ids())) };
}

function header(source: Source): HTMLElement {
  const room = source.kind === 'live' ? source.room : 'default';
  const seed = source.kind === 'sim' ? source.seed : 1;
  const what =
    source.kind === 'live'
      ? ['Live tabs of room ', h('code', {}, room)]
      : source.label
        ? [source.label]
        : [`Simulator, seed ${seed}`, h('span', { class: 'muted' }, ' (N = 3, R = 2, W = 2)')];
  const lessons = h(
    'details',
    { class: 'cv-other cv-lessons' },
    h('summary', {}, 'Lessons'),
    h(
      'div',
      { class: 'cv-other-panel' },
      h(
        'ol',
        { class: 'cv-lesson-list' },
        LESSONS.map((l) =>
          h('li', {}, h('a', { href: `cluster.html#lesson=${l.id}` }, l.title), h('span', { class: 'muted' }, ` ${l.summary}`)),
        ),
      ),
    ),
  );
  const other = h(
    'details',
    { class: 'cv-other' },
    h('summary', {}, 'Other room or seed'),
    h(
      'div',
      { class: 'cv-other-panel' },
      h(
        'form',
        { action: 'cluster.html', method: 'get' },
        h('label', { for: 'cv-room' }, 'Room'),
        h('input', { id: 'cv-room', name: 'room', value: room, size: 10, pattern: '[A-Za-z0-9_\\-]{1,64}', required: true }),
        h('button', { type: 'submit' }, 'Watch its tabs'),
      ),
      h(
        'form',
        { action: 'cluster.html', method: 'get' },
        h('label', { for: 'cv-seed' }, 'Seed'),
        h('input', { id: 'cv-seed', name: 'sim', type: 'number', min: 1, value: seed, required: true }),
        h('button', { type: 'submit' }, 'Run the simulator'),
      ),
    ),
  );
  return h(
    'header',
    { class: 'cv-top' },
    h('h1', {}, 'Dynamo: the whole cluster'),
    h('p', { class: 'cv-source' }, what),
    h(
      'nav',
      { class: 'cv-nav', 'aria-label': 'Other pages' },
      source.kind === 'live'
        ? h('a', { href: `./?room=${encodeURIComponent(room)}`, target: '_blank', rel: 'noopener' }, 'Open a node of this room')
        : null,
      h('a', { href: './' }, 'Node page'),
      h('a', { href: 'sim.html' }, 'Swarm seeds'),
      lessons,
      other,
    ),
  );
}

/** What a lesson adds to the page: a narration bar under the controls, panels beside the ring. */
interface Extras {
  readonly bar?: HTMLElement;
  readonly side?: readonly HTMLElement[];
  readonly draws?: readonly ((scene: Scene) => void)[];
}

/** Draws the page for `player`; returns how to add a lesson's parts once its run is known. */
function mount(player: ClusterPlayer, time: (t: number) => string, fileName: () => string, hold?: LiveHold): (extras: Extras) => void {
  const ring = clusterRing(player.names, player.timeline.requests);
  const controls = clusterControls(player, time, hold);
  const nodes = nodesTable(player);
  const legend = kindLegend(player, controls.counts);
  const log = clusterLogView(player, time, fileName);
  const status = h('p', { class: 'cv-status-line', role: 'status' });
  const top = header(player.state.source);
  const panels = h('div', { class: 'cv-panels' });
  document.body.replaceChildren(
    top,
    controls.el,
    h('main', { class: 'cv-main' }, ring.el, h('div', { class: 'cv-side' }, status, panels, nodes.el, legend.el, log.el)),
  );
  // The ring may take the screen's height less the header, the controls and the narration (see cluster.css).
  const above = [top, controls.el];
  const chrome = new ResizeObserver(() => {
    document.body.style.setProperty('--chrome', `${above.reduce((sum, el) => sum + el.offsetHeight, 0)}px`);
  });
  for (const el of above) chrome.observe(el);
  const draws: ((scene: Scene) => void)[] = [];
  player.onDraw((scene) => {
    ring.draw(scene);
    controls.draw(scene);
    nodes.draw(scene);
    legend.draw();
    log.draw(scene);
    for (const draw of draws) draw(scene);
    const { source } = player.state;
    status.textContent =
      source.kind === 'sim' && source.status !== 'ready'
        ? source.status === 'running'
          ? `Running ${source.label ?? `seed ${source.seed}`}…`
          : `The simulation failed: ${source.error ?? ''}`
        : source.kind === 'live' && player.timeline.length === 0
          ? 'Waiting for the tabs of this room: open a node of this room (the link above).'
          : '';
  });
  player.start();
  return (extras) => {
    if (extras.bar) {
      controls.el.after(extras.bar);
      above.push(extras.bar);
      chrome.observe(extras.bar);
    }
    panels.replaceChildren(...(extras.side ?? []));
    draws.push(...(extras.draws ?? []));
    for (const draw of extras.draws ?? []) draw(player.current);
  };
}

function startLive(room: string): void {
  const { names, save } = savedNames(room);
  const player = new ClusterPlayer({ kind: 'live', room }, LIVE_TIMING, names);
  document.title = `Cluster view: room ${room}`;
  const hold = new LiveHold(room);
  mount(player, wallTime, () => `dynamo-${room}.shiviz.log`, hold);
  const feed = new LiveFeed(room);
  const pump = () => {
    const events = feed.release();
    if (events.length > 0) {
      // Tabs are named in the order they started (all those heard from so far), before anything they did is drawn.
      const named = names.ids().length;
      for (const id of feed.reporters()) names.add(id);
      player.add(events);
      if (names.ids().length > named) save();
    }
    requestAnimationFrame(pump);
  };
  requestAnimationFrame(pump);
  addEventListener('pagehide', () => {
    hold.close();
    feed.close();
    player.stop();
  });
}

/** Runs a simulation and plays it; `extras` says what the run adds to the page (a lesson's narration and panels). */
async function playSim(
  seed: number,
  label: string | undefined,
  title: string,
  run: () => Promise<SimRun>,
  extras: (player: ClusterPlayer, run: SimRun) => Extras = () => ({}),
): Promise<void> {
  const base = { kind: 'sim' as const, seed, ...(label ? { label } : {}) };
  document.title = title;
  const player = new ClusterPlayer({ ...base, status: 'running' }, SIM_TIMING);
  const file = () => `dynamo-${label ? label.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase() : 'seed'}-${seed}.shiviz.log`;
  const attach = mount(player, simTime, file);
  try {
    const result = await run();
    for (const id of result.nodes) player.names.add(id);
    player.add(result.events);
    player.finish();
    attach(extras(player, result));
    player.setSource({ ...base, status: 'ready' });
  } catch (e) {
    player.setSource({ ...base, status: 'failed', error: e instanceof Error ? e.message : String(e) });
    throw e;
  }
}

const startSim = (seed: number) => playSim(seed, undefined, `Cluster view: simulator seed ${seed}`, () => runClassroom(seed));

function startSwarm(seed: number): Promise<void> {
  let setup = '';
  return playSim(
    seed,
    `Swarm seed ${seed}`,
    `Cluster view: swarm seed ${seed}`,
    async () => {
      const run = await runSwarmRecorded(seed);
      setup = `${run.setup}; ${run.violations.length === 0 ? 'every invariant held' : `violations: ${run.violations.join('; ')}`}`;
      return run;
    },
    () => {
      const line = h('p', { class: 'cv-panel cv-setup', 'data-testid': 'swarm-setup' }, `Swarm seed ${seed}: ${setup}.`);
      return { side: [line] };
    },
  );
}

function startLesson(id: string): Promise<void> {
  const lesson = lessonById(id);
  if (!lesson) {
    document.body.textContent = `No lesson "${id}". Lessons: ${LESSONS.map((l) => l.id).join(', ')}.`;
    return Promise.resolve();
  }
  return playSim(
    lesson.seed,
    `Lesson: ${lesson.title}`,
    `Lesson: ${lesson.title}`,
    () => lesson.run(),
    (player, result) => {
      const run = result as LessonRun;
      const tl = player.timeline;
      const shownAt = (at: number) => tl.entries[at]?.d ?? tl.end;
      // A step without an event of its own begins just before the next one.
      const starts = run.steps.map((step) => shownAt(step.at));
      for (let i = starts.length - 2; i >= 0; i--) starts[i] = Math.min(starts[i]!, starts[i + 1]! - 0.004);
      player.setBreaks(starts);
      player.scrub(starts[0] ?? 0);
      const bar = narration(player, lesson.title, run.steps, starts);
      const panels = [
        ...(run.graph ? [versionGraph(run.graph, shownAt)] : []),
        ...(run.rings ? [ringCompare(run.rings, player.names)] : []),
      ];
      return { bar: bar.el, side: panels.map((p) => p.el), draws: [bar.draw, ...panels.map((p) => p.draw)] };
    },
  );
}

const params = new URLSearchParams(location.search);
const fragment = new URLSearchParams(location.hash.slice(1));
const chosen = (name: string) => fragment.get(name) ?? params.get(name);
const seedOf = (text: string) => {
  const seed = Number(text);
  return Number.isSafeInteger(seed) && seed > 0 ? seed : 1;
};
// A lesson or seed chosen from the page's own links changes the fragment only: start again.
addEventListener('hashchange', () => location.reload());
const lesson = chosen('lesson');
const swarm = chosen('swarm');
const sim = chosen('sim');
if (lesson !== null) void startLesson(lesson);
else if (swarm !== null) void startSwarm(seedOf(swarm));
else if (sim !== null) void startSim(seedOf(sim));
else {
  try {
    startLive(roomFrom(params));
  } catch (e) {
    document.body.textContent = e instanceof Error ? e.message : String(e);
  }
}
