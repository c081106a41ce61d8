/** Boots this tab as a Dynamo node, exposes window.dynamo, and draws the page. */
import { automation, type DynamoAutomation } from '../browser/automation.js';
import { startBrowserNode } from '../browser/browser-node.js';
import { channelsFrom, claimIdentity, type Identity, iceServersFrom, roomFrom, secretFrom, signalingUrl } from '../browser/identity.js';
import { roomSecurity } from '../identity/room.js';
import { mountApp } from './app.js';
import { ClusterPublisher } from './cluster-publisher.js';
import { LiveTime } from './live-time.js';

declare global {
  interface Window {
    dynamo: DynamoAutomation;
  }
}

const root = document.querySelector<HTMLElement>('#app')!;
const params = new URLSearchParams(location.search);
let identity: Identity | undefined;
let publisher: ClusterPublisher | undefined;
let time: LiveTime | undefined;
const started = (async () => {
  const room = roomFrom(params);
  publisher = new ClusterPublisher(room);
  // Time under the teacher's hand: the cluster view may slow or stop this node's clock and hold its messages.
  time = new LiveTime(room);
  const security = await roomSecurity(room, secretFrom(location.hash));
  identity = await claimIdentity(params, security.serverRoom);
  if (identity.unsaved) console.warn(`this node's key could not be stored (${identity.unsaved}): it lasts as long as this tab`);
  return startBrowserNode({
    id: identity.id,
    keys: identity.keys,
    storage: identity.storage,
    room,
    security,
    iceServers: iceServersFrom(location.hash),
    maxChannels: channelsFrom(params),
    signalingUrl: signalingUrl(params, location),
    wrapTransport: (transport) => publisher!.tap(time!.gate(transport)),
    clock: time.clock,
  });
})();
window.dynamo = automation(started);
try {
  const node = await started;
  const controller = mountApp(root, node, identity!);
  publisher!.attach(node);
  time!.attach(
    node.id,
    (peer) => node.faults.blocks(peer),
    (listener) => node.faults.onChange(listener),
  );
  addEventListener('pagehide', () => {
    time!.close();
    publisher!.close();
    controller.stop();
    node.shutdown();
  });
} catch (error) {
  root.textContent = `This tab could not start as a node: ${error instanceof Error ? error.message : String(error)}`;
  throw error;
}
