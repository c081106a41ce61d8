import { describe, expect, it } from 'vitest';
import { drainMicrotasks, inTurns } from '../../src/sim/drain.js';

describe('drainMicrotasks', () => {
  it('resolves after every microtask queued before it, chains of them included, and drains in call order', async () => {
    const log: string[] = [];
    const chain = async (name: string, depth: number) => {
      for (let i = 0; i < depth; i++) await Promise.resolve();
      log.push(name);
    };
    void chain('deep', 50);
    const first = drainMicrotasks().then(() => log.push('first drain'));
    const second = drainMicrotasks().then(() => log.push('second drain'));
    await Promise.all([first, second]);
    expect(log).toEqual(['deep', 'first drain', 'second drain']);
  });

  it('keeps working past a batch: each of many drains in a row lets what the last one started finish first', async () => {
    const log: number[] = [];
    for (let i = 0; i < 100; i++) {
      void (async () => {
        await Promise.resolve();
        await Promise.resolve();
        log.push(i);
      })();
      await drainMicrotasks();
      expect(log.at(-1)).toBe(i);
    }
    expect(log).toHaveLength(100);
  });

  it('inTurns calls the step after what the last call started has finished, until it returns false or throws', async () => {
    const log: string[] = [];
    let calls = 0;
    await inTurns(() => {
      log.push(`step ${calls}`);
      if (calls === 40) return false;
      const n = calls++;
      void (async () => {
        for (let i = 0; i < 5; i++) await Promise.resolve();
        log.push(`done ${n}`);
      })();
      return true;
    });
    expect(log).toEqual(
      Array.from({ length: 40 }, (_, i) => [`step ${i}`, `done ${i}`])
        .flat()
        .concat('step 40'),
    );
    await expect(
      inTurns(() => {
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
  });
});
