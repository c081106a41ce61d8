/** Boots this tab as a Dynamo node, exposes window.dynamo, and draws the page. */
import { automation, type DynamoAutomation } from '../browser/automation.js';
import { startBrowserNode } from '../browser/browser-node.js';
import { claimIdentity, type Identity, roomFrom, signalingUrl } from '../browser/identity.js';
import { mountApp } from './app.js';

declare global {
  interface Window {
    dynamo: DynamoAutomation;
  }
}

const root = document.querySelector<HTMLElement>('#app')!;
const params = new URLSearchParams(location.search);
let identity: Identity | undefined;
const started = (async () => {
  const room = roomFrom(params);
  identity = await claimIdentity(params);
  return startBrowserNode({ id: identity.id, room, signalingUrl: signalingUrl(params, location) });
})();
window.dynamo = automation(started);
try {
  const node = await started;
  const controller = mountApp(root, node, identity!);
  addEventListener('pagehide', () => {
    controller.stop();
    node.shutdown();
  });
} catch (error) {
  root.textContent = `This tab could not start as a node: ${error instanceof Error ? error.message : String(error)}`;
  throw error;
}
