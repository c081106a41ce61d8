/**
 * Headless nodes (`dynamo-node`, Node.js over @roamhq/wrtc and LevelDB) and Chromium tabs in one
 * room, over real WebRTC and the real signaling server: writes cross between them both ways, a
 * headless node started with --follow-class follows a tab's partition and heal (one without does
 * not), and a headless node killed with SIGKILL comes back on its --data as the same node with its data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { startSignalingServer } from '../signaling/server.js';
import { LevelStorage } from '../src/storage/level.js';
import { type RunningNode, startCli } from '../test/headless/run.js';
import { get, idOf, openNode, preferenceList, put, uniqueRoom } from './fixtures.js';

const PORT = 8796;
const HEADLESS = 3;

interface Status {
  id: string;
  members: { id: string; status: string; reachable: boolean; channel: string; headless: boolean }[];
}

async function status(node: RunningNode): Promise<Status> {
  return (await (await fetch(`${node.api}/status`)).json()) as Status;
}

async function headlessGet(node: RunningNode, key: string): Promise<string[]> {
  const res = await fetch(`${node.api}/keys/${encodeURIComponent(key)}`);
  const body = (await res.json()) as { versions?: { text: string }[]; message?: string };
  if (!res.ok) throw new Error(`GET ${key} on ${node.id}: ${res.status} ${body.message}`);
  return body.versions!.map((v) => v.text).sort();
}

async function headlessStored(node: RunningNode, key: string): Promise<string[]> {
  const body = (await (await fetch(`${node.api}/stored/${encodeURIComponent(key)}`)).json()) as { versions: { text: string }[] };
  return body.versions.map((v) => v.text).sort();
}

/** Sees every one of `ids` up, reachable and over an open channel (or itself). */
const seesAll = (ids: string[], members: { id: string; status: string; reachable: boolean; channel: string }[]) =>
  ids.every((id) => members.some((m) => m.id === id && m.status === 'up' && m.reachable && (m.channel === 'open' || m.channel === 'self')));

async function waitForRoom(pages: Page[], nodes: RunningNode[], ids: string[]): Promise<void> {
  for (const page of pages) {
    await expect.poll(async () => seesAll(ids, await page.evaluate(() => window.dynamo.members())), { timeout: 30_000 }).toBe(true);
  }
  for (const node of nodes) await expect.poll(async () => seesAll(ids, (await status(node)).members), { timeout: 30_000 }).toBe(true);
}

test('headless nodes and tabs form one room; writes cross both ways; a SIGKILLed headless node comes back with its data', async ({
  context,
}, info) => {
  const room = uniqueRoom(info);
  const server = await startSignalingServer({ port: PORT });
  const signal = `ws://127.0.0.1:${PORT}`;
  const dirs = Array.from({ length: HEADLESS }, () => mkdtempSync(join(tmpdir(), 'dynamo-headless-')));
  // The last headless node follows the class's faults; the others do not.
  const start = (dir: string) =>
    startCli(['--room', room, '--data', dir, '--signal', signal, '--http', '0', ...(dir === dirs.at(-1) ? ['--follow-class'] : [])]);
  const nodes: RunningNode[] = [];
  try {
    nodes.push(...(await Promise.all(dirs.map(start))));
    const pages = [await openNode(context, room, { signal }), await openNode(context, room, { signal })];
    const ids = [...nodes.map((n) => n.id), ...(await Promise.all(pages.map(idOf)))];
    await waitForRoom(pages, nodes, ids);
    // Tabs mark the headless nodes as such (they said so on their channels), and only them.
    const tabIds = ids.slice(HEADLESS);
    for (const page of pages) {
      const members = await page.evaluate(() => window.dynamo.members());
      expect(
        members
          .filter((m) => m.headless)
          .map((m) => m.id)
          .sort(),
      ).toEqual(nodes.map((n) => n.id).sort());
    }
    for (const node of nodes) {
      const members = (await status(node)).members;
      expect(
        members
          .filter((m) => !m.headless)
          .map((m) => m.id)
          .sort(),
      ).toEqual([...tabIds].sort());
    }

    // A put acknowledged on a tab is read on every headless node, and the other way round.
    await put(pages[0]!, 'from-tab', 'written in a tab');
    for (const node of nodes) expect(await headlessGet(node, 'from-tab')).toEqual(['written in a tab']);
    const written = await fetch(`${nodes[1]!.api}/keys/from-headless`, { method: 'PUT', body: 'written headless' });
    expect(written.status).toBe(200);
    for (const page of pages) expect((await get(page, 'from-headless')).values).toEqual(['written headless']);

    // A teacher's partition from a tab, {everyone else} | {the last headless node}: the node that
    // follows the class's faults cuts itself off from all the others; one that does not says so.
    const [follower, bystander] = [nodes.at(-1)!, nodes[1]!];
    const nameIn = (page: Page, id: string) => page.locator(`.members-panel tr[data-node="${id}"]`).getAttribute('data-name');
    await pages[0]!.getByRole('button', { name: 'Partition…' }).click();
    const dialog = pages[0]!.getByRole('dialog', { name: 'Partition the cluster' });
    for (const id of ids) await dialog.getByLabel(`${await nameIn(pages[0]!, id)} in group ${id === follower.id ? 2 : 1}`).check();
    await dialog.getByRole('button', { name: 'Split every tab into these groups' }).click();
    const others = ids.filter((id) => id !== follower.id).sort();
    await expect
      .poll(async () => ((await (await fetch(`${follower.api}/status`)).json()) as { cutOff: string[] }).cutOff.sort())
      .toEqual(others);
    await expect.poll(() => bystander.output().stderr).toContain('not followed (start with --follow-class to follow)');
    expect(((await (await fetch(`${bystander.api}/status`)).json()) as { cutOff: string[] }).cutOff).toEqual([]);
    await pages[0]!.getByRole('button', { name: 'Heal every tab' }).click();
    await expect.poll(async () => ((await (await fetch(`${follower.api}/status`)).json()) as { cutOff: string[] }).cutOff).toEqual([]);
    await waitForRoom(pages, nodes, ids);

    // Keys the first headless node replicates, written from a tab, each acknowledged.
    const victim = nodes[0]!;
    const keys: string[] = [];
    for (let i = 0; keys.length < 6 && i < 200; i++) {
      if ((await preferenceList(pages[1]!, `cart-${i}`)).includes(victim.id)) keys.push(`cart-${i}`);
    }
    expect(keys).toHaveLength(6);
    for (const key of keys) await put(pages[1]!, key, `${key} items`);
    // It stored them (a replica stores durably before it acknowledges), then it is killed outright.
    for (const key of keys) await expect.poll(() => headlessStored(victim, key)).toEqual([`${key} items`]);
    victim.child.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');

    // What its disk holds, read before it starts again (so nothing could have been repaired from peers).
    const disk = await LevelStorage.open(join(dirs[0]!, 'db'));
    const state = await disk.load();
    disk.close();
    await disk.whenClosed();
    for (const key of keys) {
      const record = state.records.find((r) => r.key === key);
      expect(record?.versions.map((v) => new TextDecoder().decode(v.value))).toEqual([`${key} items`]);
    }

    const back = await start(dirs[0]!);
    nodes[0] = back;
    expect(back.id).toBe(victim.id);
    for (const key of keys) expect(await headlessStored(back, key)).toEqual([`${key} items`]);
    await waitForRoom(pages, nodes, ids);
    expect(await headlessGet(back, 'from-headless')).toEqual(['written headless']);
    await put(pages[0]!, 'after-restart', 'still one room');
    expect(await headlessGet(back, 'after-restart')).toEqual(['still one room']);
  } finally {
    // What each headless node printed, kept with the test's results.
    for (const node of nodes) {
      const { stdout, stderr } = node.output();
      await info.attach(`${node.id}.log`, { body: `${stdout}${stderr}`, contentType: 'text/plain' });
    }
    for (const node of nodes) node.child.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
    await server.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
});
