/**
 * The message log: turns the node's events into a readable sequence per request (who
 * coordinated, which replicas were asked, who answered, fallbacks and hints, the outcome) and
 * single lines for background work (read repair, hand-offs, transfers, dropped frames).
 */
import type { NodeEvent } from '../core/events.js';
import type { NodeId } from '../core/ports.js';
import { LOG_ENTRIES_MAX, type LogEntry, type LogLine } from './store.js';

export class LogBook {
  private entries: LogEntry[] = [];
  private readonly keyOfRequest = new Map<string, string>();
  private serial = 0;

  constructor(private readonly self: NodeId) {}

  get all(): readonly LogEntry[] {
    return this.entries;
  }

  private add(entry: Omit<LogEntry, 'id' | 'time'> & { id?: string }): void {
    this.entries = [{ id: `e${++this.serial}`, time: Date.now(), ...entry }, ...this.entries].slice(0, LOG_ENTRIES_MAX);
  }

  private amend(id: string, line: LogLine, changes: Partial<LogEntry> = {}): boolean {
    const at = this.entries.findIndex((e) => e.id === id);
    if (at < 0) return false;
    const entry = this.entries[at]!;
    const nodes = changes.nodes ?? entry.nodes;
    this.entries = [...this.entries.slice(0, at), { ...entry, ...changes, nodes, lines: [...entry.lines, line] }, ...this.entries.slice(at + 1)];
    return true;
  }

  /** Returns whether the event changed the log. */
  record(e: NodeEvent): boolean {
    const me = `${this.self} (this tab)`;
    switch (e.type) {
      case 'op-start': {
        this.keyOfRequest.set(e.req, e.key);
        const asked = e.targets.map((t) => (t.hint ? `${t.node} (standing in for ${t.hint})` : t.node));
        this.add({ id: e.req, title: `${e.op} "${e.key}", coordinated by ${me}`, key: e.key, nodes: [this.self, ...e.targets.map((t) => t.node)], lines: [{ text: `asked ${asked.join(', ')}` }], done: false });
        return true;
      }
      case 'op-forward':
        this.keyOfRequest.set(e.req, e.key);
        if (!this.amend(e.req, { text: `no answer yet: forwarding to ${e.to}` })) {
          this.add({ id: e.req, title: `${e.op} "${e.key}" from ${me}`, key: e.key, nodes: [this.self, e.to], lines: [{ text: `not among the key's top N replicas: forwarded to ${e.to} to coordinate` }], done: false });
        }
        return true;
      case 'op-reply':
        return this.amend(e.req, { text: `${e.from} ${e.ok ? 'answered' : 'refused'}`, ...(e.ok ? {} : { tone: 'warn' as const }) });
      case 'op-fallback':
        return this.amend(e.req, { text: `${e.suspected} is slow or unreachable: asking ${e.fallback}${e.hint ? `, which keeps a hint for ${e.hint}` : ''}`, tone: 'warn' });
      case 'op-done':
        return this.amend(e.req, { text: e.ok ? `done: ${e.detail}` : e.detail, tone: e.ok ? 'ok' : 'bad' }, { done: true });
      case 'repair': {
        const get = this.entries.find((x) => x.key === e.key && x.title.startsWith('get'));
        if (get && Date.now() - get.time < 10_000) return this.amend(get.id, { text: `read repair: sent the merged versions to ${e.to}`, tone: 'warn' }, { nodes: [...get.nodes, e.to] });
        this.add({ title: `read repair of "${e.key}"`, key: e.key, nodes: [e.to], lines: [{ text: `sent the merged versions to ${e.to}` }], done: true });
        return true;
      }
      case 'hint-stored':
        this.add({ title: `hint stored for ${e.target}`, key: e.key, nodes: [this.self, e.target], lines: [{ text: `${me} keeps "${e.key}" for ${e.target}, which the coordinator could not reach` }], done: true });
        return true;
      case 'hint-delivered':
        this.add({ title: `hint handed over to ${e.target}`, key: e.key, nodes: [this.self, e.target], lines: [{ text: `${e.target} stored "${e.key}"; the hint is deleted here`, tone: 'ok' }], done: true });
        return true;
      case 'transfer':
        this.add({ title: `range transfer to ${e.to}`, key: e.key, nodes: [this.self, e.to], lines: [{ text: `${e.to} stored "${e.key}", a key it now replicates` }], done: true });
        return true;
      case 'reaped':
        this.add({ title: `tombstone reaped`, key: e.key, nodes: [this.self], lines: [{ text: `every replica held the tombstones of "${e.key}"; they are dropped, and what they superseded stays gone` }], done: true });
        return true;
      case 'reachability':
        this.add({ title: `${e.node} is ${e.reachable ? 'reachable again' : 'unreachable'}`, nodes: [e.node], lines: [{ text: e.reachable ? 'a message arrived from it' : 'a request to it timed out (as this node sees it)', tone: e.reachable ? 'ok' : 'warn' }], done: true });
        return true;
      case 'dropped':
        this.add({ title: `frame from ${e.from} dropped`, nodes: [e.from], lines: [{ text: `${e.reason}: ${e.detail}`, tone: 'bad' }], done: true });
        return true;
      case 'error':
        this.add({ title: `error while ${e.where}`, nodes: [this.self], lines: [{ text: `${e.message} (the node keeps serving)`, tone: 'bad' }], done: true });
        return true;
      default:
        return false;
    }
  }
}
