/** The node page (minimal status view for now). */
import type { BrowserNode } from '../browser/browser-node.js';
import type { Identity } from '../browser/identity.js';

export function mountApp(root: HTMLElement, bn: BrowserNode, identity: Identity): void {
  const render = () => {
    const members = [...bn.node.members().values()];
    const lines = [
      `Node ${bn.id} (${identity.origin}) in room ${bn.room}; signaling ${bn.signaling.status}`,
      ...members.map((m) => `${m.id}: ${m.status}${m.id === bn.id ? ' (this tab)' : `, ${bn.node.detector.reachable(m.id) ? 'reachable' : 'unreachable'}, channel ${bn.transport.linkState(m.id)}`}`),
    ];
    root.replaceChildren(...lines.map((l) => Object.assign(document.createElement('p'), { textContent: l })));
  };
  render();
  setInterval(render, 1000);
}
