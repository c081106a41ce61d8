/** In the page: one Yjs document shared over y-webrtc, with arrival times of every change. */
import { WebrtcProvider } from 'y-webrtc';
import * as Y from 'yjs';

const params = new URLSearchParams(location.search);
const doc = new Y.Doc();
const provider = new WebrtcProvider(params.get('room')!, doc, {
  signaling: [params.get('signal')!],
  peerOpts: { config: { iceServers: [] } },
});
const map = doc.getMap<Uint8Array>('m');
const arrivals: { key: string; t: number }[] = [];
map.observe((event) => {
  if (event.transaction.local) return;
  const t = performance.timeOrigin + performance.now();
  for (const key of event.keysChanged) arrivals.push({ key, t });
});

(window as unknown as { yjsBench: unknown }).yjsBench = {
  peers: () => (provider.room ? provider.room.webrtcConns.size : 0),
  set: (key: string, size: number) => {
    const value = crypto.getRandomValues(new Uint8Array(size));
    const t = performance.timeOrigin + performance.now();
    map.set(key, value);
    return t;
  },
  arrivals: () => arrivals,
};
