/** Boots this tab as a Dynamo node, exposes window.dynamo, and draws the page. */
import { automation, type DynamoAutomation } from '../browser/automation.js';
import { startBrowserNode } from '../browser/browser-node.js';
import { claimIdentity, roomFrom, signalingUrl } from '../browser/identity.js';
import { mountApp } from './app.js';

declare global {
  interface Window {
    dynamo: DynamoAutomation;
  }
}

const root = document.querySelector<HTMLElement>('#app')!;
try {
  const params = new URLSearchParams(location.search);
  const room = roomFrom(params);
  const identity = await claimIdentity(params);
  const started = startBrowserNode({ id: identity.id, room, signalingUrl: signalingUrl(params, location) });
  window.dynamo = automation(identity.id, room, started);
  const node = await started;
  addEventListener('pagehide', () => node.shutdown());
  mountApp(root, node, identity);
} catch (error) {
  root.textContent = `This tab could not start as a node: ${error instanceof Error ? error.message : String(error)}`;
  throw error;
}
