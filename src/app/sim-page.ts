/** The simulator page (sim.html): runs swarm seeds in this tab and lists what they found. */
import { runSwarm } from '../sim/swarm.js';
import { LESSONS } from './lessons/index.js';

const form = document.querySelector<HTMLFormElement>('#swarm-form')!;
const from = document.querySelector<HTMLInputElement>('#seed-from')!;
const to = document.querySelector<HTMLInputElement>('#seed-to')!;
const button = document.querySelector<HTMLButtonElement>('#run')!;
const summary = document.querySelector<HTMLElement>('#summary')!;
const tbody = document.querySelector<HTMLTableSectionElement>('#results tbody')!;

function cell(row: HTMLTableRowElement, text: string, className?: string): void {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
}

// The lessons, each a narrated run in the cluster view.
const lessons = document.querySelector<HTMLOListElement>('#lessons')!;
for (const lesson of LESSONS) {
  const item = document.createElement('li');
  const link = document.createElement('a');
  link.href = `cluster.html#lesson=${lesson.id}`;
  link.textContent = lesson.title;
  item.append(link, ` ${lesson.summary}`);
  lessons.append(item);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void run(Number(from.value), Number(to.value));
});

async function run(first: number, last: number): Promise<void> {
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1 || last < first || last - first > 999) {
    summary.textContent = 'Choose whole seeds, first ≤ last, at most 1,000 at a time.';
    return;
  }
  button.disabled = true;
  tbody.replaceChildren();
  let failed = 0;
  const started = performance.now();
  for (let seed = first; seed <= last; seed++) {
    summary.textContent = `Running seed ${seed} of ${first}–${last}…`;
    const report = await runSwarm(seed);
    const row = tbody.insertRow();
    const replay = row.insertCell();
    const link = document.createElement('a');
    link.href = `cluster.html#swarm=${seed}`;
    link.textContent = `Seed ${seed}: watch it`;
    link.title = `Replay seed ${seed} in the cluster view, every message drawn`;
    replay.append(link);
    cell(row, report.setup);
    cell(row, `${report.ops.ok} / ${report.ops.failed}`);
    cell(row, `${(report.settleMs / 1000).toFixed(0)} s virtual`);
    if (report.violations.length === 0) cell(row, 'all hold', 'ok');
    else {
      failed++;
      cell(row, report.violations.join('\n'), 'bad');
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  summary.textContent = `${last - first + 1} seeds in ${seconds} s: ${failed === 0 ? 'every invariant held' : `${failed} seed(s) violated an invariant`}.`;
  button.disabled = false;
}
