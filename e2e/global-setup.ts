/**
 * In this workplace, tests that connect WebRTC peers must run inside ../shared/tools/netns-run (a
 * private network namespace whose veth pair is 10.77.0.1/10.77.0.2). Where that tool exists and
 * this process is not inside its namespace, refuse to start rather than connect peers outside it.
 */
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { resolve } from 'node:path';

export default function globalSetup(): void {
  requireNetworkNamespace();
}

/** Throws unless this process may connect WebRTC peers here (see above). */
export function requireNetworkNamespace(): void {
  const tool = resolve(import.meta.dirname, '../../shared/tools/netns-run');
  if (!existsSync(tool)) return;
  const inside = Object.values(networkInterfaces()).some((list) => list?.some((a) => a.address === '10.77.0.1'));
  if (!inside) {
    throw new Error(`browser tests connect WebRTC peers: run them inside the network namespace, e.g. ${tool} npm test`);
  }
}
