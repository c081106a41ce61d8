/** Presentation mode: `#present` in the fragment (beside a secret or ICE servers, if any), so a reload keeps it. */
export const presentFromHash = () => new URLSearchParams(location.hash.replace(/^#/, '')).has('present');

export function setPresentHash(on: boolean): void {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  if (on) params.set('present', '');
  else params.delete('present');
  const hash = params.toString().replace(/(^|&)present=(?=&|$)/, '$1present');
  history.replaceState(null, '', `${location.pathname}${location.search}${hash ? `#${hash}` : ''}`);
}
