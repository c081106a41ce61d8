/**
 * What a frame's worth of node events changes on the page, in one pass: the message log, the F
 * badges of the selected key's fallbacks, the count of dropped frames, and what to do afterwards
 * (refresh the members, retry the cart, inspect the selected key again). Pure: the controller
 * applies the result to the store once, instead of once per event.
 */
import type { NodeEvent } from '../core/events.js';
import type { NodeId } from '../core/ports.js';
import { type LogState, logEvent } from './log.js';

export interface PageEventsState extends LogState {
  /** The key the ring and the inspector show, if any. */
  readonly selected: string | undefined;
  /** Fallbacks the latest request on the selected key used, by the owner they stood in for. */
  readonly fallbacks: ReadonlyMap<NodeId, NodeId>;
}

export interface PageEvents extends LogState {
  readonly fallbacks: ReadonlyMap<NodeId, NodeId>;
  /** Frames dropped or refused in the batch. */
  readonly dropped: number;
  /** Membership or reachability changed: the members' rows are out of date. */
  readonly members: boolean;
  /** Membership changed: a cart that could not be read may be read now. */
  readonly membership: boolean;
  /** The selected key moved or was repaired here: the inspector should ask again. */
  readonly inspect: boolean;
}

/** The page after `batch` (each event with the time it happened, in the order it happened) on node `self`. */
export function pageEvents(
  state: PageEventsState,
  batch: readonly { readonly e: NodeEvent; readonly at: number }[],
  self: NodeId,
  name: (id: NodeId) => string,
  onError: (e: NodeEvent, error: unknown) => void = () => undefined,
): PageEvents {
  const { selected } = state;
  let log: LogState = { log: state.log, logSerial: state.logSerial };
  let fallbacks = state.fallbacks;
  let dropped = 0;
  let members = false;
  let membership = false;
  let inspect = false;
  const drop = (owner: NodeId) => {
    if (!fallbacks.has(owner)) return;
    const next = new Map(fallbacks);
    next.delete(owner);
    fallbacks = next;
  };
  for (const { e, at } of batch) {
    try {
      log = logEvent(log, e, self, at, name) ?? log;
      if (e.type === 'membership' || e.type === 'reachability') members = true;
      if (e.type === 'membership') membership = true;
      if ((e.type === 'hint-delivered' || e.type === 'transfer' || e.type === 'repair') && e.key === selected) inspect = true;
      // The F badge of an owner goes once it answers again, or once its hint was handed back.
      if (e.type === 'reachability' && e.reachable) drop(e.node);
      if (e.type === 'hint-delivered') drop(e.target);
      if (e.type === 'dropped') dropped++;
      if (e.type === 'op-start' && e.key === selected)
        fallbacks = new Map(e.targets.flatMap((t) => (t.hint ? [[t.hint, t.node] as const] : [])));
      if (e.type === 'op-fallback' && e.hint && selected !== undefined && log.log.find((x) => x.id === e.req)?.key === selected)
        fallbacks = new Map([...fallbacks, [e.hint, e.fallback]]);
    } catch (error) {
      onError(e, error);
    }
  }
  return { ...log, fallbacks, dropped, members, membership, inspect };
}
