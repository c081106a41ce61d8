/** Every write LevelStorage acknowledged survives the process being killed with SIGKILL right after. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { LevelStorage } from '../../src/storage/level.js';

it('keeps every acknowledged write when its process is killed with SIGKILL', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dynamo-level-kill-'));
  try {
    for (const after of [1, 40, 300]) {
      const location = join(dir, `db-${after}`);
      const child = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'level-writer.ts'), location], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const acked: number[] = [];
      let buffered = '';
      child.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) acked.push(Number(line.slice('acked '.length)));
        // Killed the moment it has acknowledged `after` writes, with more in flight.
        if (acked.length >= after) child.kill('SIGKILL');
      });
      const { signal } = await new Promise<{ signal: NodeJS.Signals | null }>((done) =>
        child.on('close', (_c, signal) => done({ signal })),
      );
      expect(signal).toBe('SIGKILL');
      expect(acked.length).toBeGreaterThanOrEqual(after);
      const storage = await LevelStorage.open(location);
      const keys = new Set((await storage.load()).records.map((r) => r.key));
      storage.close();
      await storage.whenClosed();
      expect(acked.filter((i) => !keys.has(`k${i}`))).toEqual([]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
