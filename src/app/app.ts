/** The node page: one store, one controller, and the views laid out for a 1280x800 screen or a projector. */
import type { BrowserNode } from '../browser/browser-node.js';
import type { Identity } from '../browser/identity.js';
import { Controller, followsClass } from './controller.js';
import { h } from './dom.js';
import { presentFromHash } from './present.js';
import { RoomChannel } from './room-channel.js';
import { RoomNames } from './room-names.js';
import { Scenario } from './scenario.js';
import { initialState, makeStore } from './store.js';
import { followTabTitle } from './tab-title.js';
import { cartView } from './views/cart.js';
import { crashBanner, headerView } from './views/header.js';
import { inspectorView } from './views/inspector.js';
import { logView } from './views/log.js';
import { membersView } from './views/members.js';
import { ringView } from './views/ring.js';
import { scenarioView } from './views/scenario.js';

/** Panels sharing one place on the grid, one shown at a time (ARIA tabs, arrow keys move between them). */
function tabs(label: string, items: { title: string; panel: HTMLElement }[]): HTMLElement {
  const buttons = items.map((item, i) =>
    h(
      'button',
      {
        type: 'button',
        role: 'tab',
        id: `tab-${i}-${item.panel.className.split(' ')[1]}`,
        'aria-selected': i === 0 ? 'true' : 'false',
        tabindex: i === 0 ? 0 : -1,
      },
      item.title,
    ),
  );
  const show = (index: number) => {
    items.forEach((item, i) => {
      item.panel.hidden = i !== index;
      buttons[i]!.setAttribute('aria-selected', String(i === index));
      buttons[i]!.tabIndex = i === index ? 0 : -1;
    });
  };
  buttons.forEach((b, i) => {
    b.addEventListener('click', () => show(i));
    b.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
      const next = (i + (e.key === 'ArrowRight' ? 1 : buttons.length - 1)) % buttons.length;
      show(next);
      buttons[next]!.focus();
    });
  });
  items.forEach((item, i) => {
    item.panel.setAttribute('role', 'tabpanel');
    item.panel.setAttribute('aria-labelledby', buttons[i]!.id);
  });
  show(0);
  return h(
    'div',
    { class: 'tabbed' },
    h('div', { role: 'tablist', 'aria-label': label, class: 'tablist' }, buttons),
    items.map((i) => i.panel),
  );
}

export function mountApp(root: HTMLElement, bn: BrowserNode, identity: Identity): Controller {
  const config = bn.node.config;
  const names = new RoomNames(bn.room);
  const room = new RoomChannel(bn.room);
  const store = makeStore(
    initialState({
      self: bn.id,
      room: bn.room,
      origin: identity.origin,
      signaling: bn.signaling.status,
      ring: bn.node.ring(),
      strategy: config.strategy,
      n: config.n,
      r: config.r,
      w: config.w,
      faults: bn.faults.state,
      names: names.current,
      present: presentFromHash(),
      followClass: followsClass(bn.room),
    }),
  );

  const controller = new Controller(bn, store, names, room);
  followTabTitle(store);
  const present = (on: boolean) => document.documentElement.classList.toggle('present', on);
  present(store.getState().present);
  store.subscribe((st) => present(st.present));
  addEventListener('hashchange', () => store.setState({ present: presentFromHash() }));
  const scenario = new Scenario(controller);
  root.replaceChildren(
    headerView(controller),
    crashBanner(controller),
    h(
      'main',
      { class: 'grid' },
      ringView(controller),
      tabs('Cart and scenario', [
        { title: 'Shopping cart', panel: cartView(controller) },
        { title: 'Guided scenario: Figure 3', panel: scenarioView(controller, scenario) },
      ]),
      membersView(controller),
      inspectorView(controller),
      logView(controller),
    ),
  );
  controller.start();
  return controller;
}
