/**
 * A minimal signaling relay speaking y-webrtc's protocol (subscribe / unsubscribe / publish / ping),
 * bound to 127.0.0.1, for the Yjs baseline of the browser benchmark.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export async function startYSignaling(): Promise<{ url: string; close(): Promise<void> }> {
  const http = createServer((_, res) => res.end('y-webrtc signaling'));
  const wss = new WebSocketServer({ server: http });
  const topics = new Map<string, Set<WebSocket>>();
  wss.on('connection', (socket) => {
    const mine = new Set<string>();
    socket.on('message', (data) => {
      let m: { type?: string; topics?: string[]; topic?: string; clients?: number };
      try {
        m = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (m.type === 'subscribe') {
        for (const t of m.topics ?? []) {
          const subscribers = topics.get(t) ?? new Set();
          topics.set(t, subscribers.add(socket));
          mine.add(t);
        }
      } else if (m.type === 'unsubscribe') for (const t of m.topics ?? []) topics.get(t)?.delete(socket);
      else if (m.type === 'publish' && m.topic) {
        const receivers = topics.get(m.topic) ?? new Set();
        m.clients = receivers.size;
        const text = JSON.stringify(m);
        for (const r of receivers) if (r.readyState === r.OPEN) r.send(text);
      } else if (m.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
    });
    socket.on('close', () => {
      for (const t of mine) topics.get(t)?.delete(socket);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        http.close(() => resolve());
      }),
  };
}
