/**
 * The tab says which node it is, among many tabs: "B · Dynamo node" in its title, and a favicon
 * of the node's colour with its name in it (drawn on a canvas). A crashed node says so in both.
 */
import { PAGE_MARKS } from './node-names.js';
import type { AppStore } from './store.js';
import { watch } from './views/watch.js';

function icon(name: string, color: string, text: string, crashed: boolean): string {
  const canvas = document.createElement('canvas');
  canvas.width = 64;
  canvas.height = 64;
  const g = canvas.getContext('2d');
  if (!g) return 'data:,';
  g.fillStyle = color;
  g.beginPath();
  g.roundRect(2, 2, 60, 60, 12);
  g.fill();
  g.fillStyle = text;
  g.font = `bold ${name.length > 1 ? 30 : 44}px system-ui, sans-serif`;
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText(name, 32, 35);
  if (crashed) {
    g.strokeStyle = '#b42318';
    g.lineWidth = 9;
    g.beginPath();
    g.moveTo(8, 8);
    g.lineTo(56, 56);
    g.moveTo(56, 8);
    g.lineTo(8, 56);
    g.stroke();
  }
  return canvas.toDataURL('image/png');
}

export function followTabTitle(store: AppStore): void {
  const link =
    document.querySelector<HTMLLinkElement>('link[rel="icon"]') ??
    document.head.appendChild(Object.assign(document.createElement('link'), { rel: 'icon' }));
  watch(
    store,
    (st) => ({ names: st.names, self: st.self, crashed: st.faults.crashed, room: st.room }),
    ({ names, self, crashed, room }) => {
      const me = names.get(self);
      const name = names.nameOf(self);
      document.title = `${name}${crashed ? ' (crashed)' : ''} · Dynamo node · ${room}`;
      link.href = icon(name, me?.color ?? PAGE_MARKS[1], me?.text ?? '#ffffff', crashed);
    },
  );
}
