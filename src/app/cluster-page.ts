/**
 * cluster.html: the whole cluster on one screen, for a class. `?room=NAME` watches the live tabs
 * of that room in this browser; `?sim=SEED` plays the simulator's classroom run of that seed.
 * The same views draw both.
 */
import { roomFrom } from '../browser/identity.js';
import type { NodeId } from '../core/ports.js';
import { LiveFeed } from './cluster-live.js';
import { ClusterPlayer, LIVE_TIMING, SIM_TIMING, type Source } from './cluster-player.js';
import { h } from './dom.js';
import { NodeNames } from './node-names.js';
import { runClassroom } from './sim-feed.js';
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
      : [`Simulator, seed ${seed}`, h('span', { class: 'muted' }, ' (N = 3, R = 2, W = 2)')];
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
      h('a', { href: 'sim.html' }, 'Swarm seeds'),
      other,
    ),
  );
}

function mount(player: ClusterPlayer, time: (t: number) => string, fileName: () => string): void {
  const ring = clusterRing(player.names, player.timeline.requests);
  const controls = clusterControls(player, time);
  const nodes = nodesTable(player);
  const legend = kindLegend(player, controls.counts);
  const log = clusterLogView(player, time, fileName);
  const status = h('p', { class: 'cv-status-line', role: 'status' });
  const top = header(player.state.source);
  document.body.replaceChildren(
    top,
    controls.el,
    h('main', { class: 'cv-main' }, ring.el, h('div', { class: 'cv-side' }, status, nodes.el, legend.el, log.el)),
  );
  // The ring may take the screen's height less the header and the controls (see cluster.css).
  const chrome = new ResizeObserver(() => {
    document.body.style.setProperty('--chrome', `${top.offsetHeight + controls.el.offsetHeight}px`);
  });
  for (const el of [top, controls.el]) chrome.observe(el);
  player.onDraw((scene) => {
    ring.draw(scene);
    controls.draw(scene);
    nodes.draw(scene);
    legend.draw();
    log.draw(scene);
    const { source } = player.state;
    status.textContent =
      source.kind === 'sim' && source.status !== 'ready'
        ? source.status === 'running'
          ? `Running seed ${source.seed}…`
          : `The simulation failed: ${source.error ?? ''}`
        : source.kind === 'live' && player.timeline.length === 0
          ? 'Waiting for the tabs of this room: open a node of this room (the link above).'
          : '';
  });
  player.start();
}

function startLive(room: string): void {
  const { names, save } = savedNames(room);
  const player = new ClusterPlayer({ kind: 'live', room }, LIVE_TIMING, names);
  document.title = `Cluster view: room ${room}`;
  mount(player, wallTime, () => `dynamo-${room}.shiviz.log`);
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
    feed.close();
    player.stop();
  });
}

async function startSim(seed: number): Promise<void> {
  const player = new ClusterPlayer({ kind: 'sim', seed, status: 'running' }, SIM_TIMING);
  document.title = `Cluster view: simulator seed ${seed}`;
  mount(player, simTime, () => `dynamo-seed-${seed}.shiviz.log`);
  try {
    const run = await runClassroom(seed);
    for (const id of run.nodes) player.names.add(id);
    player.add(run.events);
    player.finish();
    player.setSource({ kind: 'sim', seed, status: 'ready' });
  } catch (e) {
    player.setSource({ kind: 'sim', seed, status: 'failed', error: e instanceof Error ? e.message : String(e) });
    throw e;
  }
}

const params = new URLSearchParams(location.search);
const sim = params.get('sim');
if (sim !== null) {
  const seed = Number(sim);
  void startSim(Number.isSafeInteger(seed) && seed > 0 ? seed : 1);
} else {
  try {
    startLive(roomFrom(params));
  } catch (e) {
    document.body.textContent = e instanceof Error ? e.message : String(e);
  }
}
