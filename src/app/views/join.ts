/**
 * "Join this room": the address another machine opens to join this room (with its secret, if it
 * has one, in the fragment), as text and as a QR code large enough to scan from the back of a room.
 */
import QRCode from 'qrcode';
import { joinUrl, secretFrom } from '../../browser/identity.js';
import { h } from '../dom.js';

export function joinButton(room: string): HTMLElement {
  const url = joinUrl(location, room);
  const canvas = h('canvas', { class: 'join-qr', 'aria-label': 'QR code of the address to join this room' });
  const address = h('code', { class: 'join-url', 'data-testid': 'join-url' }, url);
  const note = h(
    'p',
    { class: 'muted' },
    secretFrom(location.hash)
      ? 'The address holds the room’s secret: show it only to the people who may join.'
      : 'An open room: anyone who reaches this address can join it.',
  );
  const error = h('p', { class: 'error' });
  const dialog = h(
    'dialog',
    { class: 'join-dialog', 'aria-label': 'Join this room' },
    h('h2', {}, `Join room ${room}`),
    canvas,
    address,
    note,
    error,
    h('form', { method: 'dialog' }, h('button', { type: 'submit' }, 'Close')),
  );
  const button = h(
    'button',
    {
      type: 'button',
      class: 'join-button',
      onclick: () => {
        const side = Math.min(window.innerWidth, window.innerHeight) * 0.6;
        QRCode.toCanvas(canvas, url, { width: Math.max(200, Math.round(side)), margin: 2 }).catch((e: unknown) => {
          error.textContent = `no QR code: ${e instanceof Error ? e.message : String(e)}`;
        });
        dialog.showModal();
      },
    },
    'Join this room…',
  );
  return h('span', { class: 'join' }, button, dialog);
}
