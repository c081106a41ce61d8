/** How many data channels a node keeps open (issue 12's partial mesh), for the transport and for the options that set it. */

/** Channels a node keeps at most unless told otherwise. */
export const DEFAULT_MAX_CHANNELS = 16;
/** The most a node may be told to keep. */
export const CHANNELS_MAX = 256;

/** A cap given as text (`?channels=` in a tab's address): a whole number from 1 to CHANNELS_MAX, or an error saying so. */
export function parseChannelCap(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > CHANNELS_MAX)
    throw new Error(`channels must be a whole number from 1 to ${CHANNELS_MAX}, not "${text}"`);
  return n;
}
