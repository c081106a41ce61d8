/**
 * A process that writes to a LevelStorage as fast as it can and prints "acked N" for each write
 * once its promise resolves: level-kill.test.ts kills it with SIGKILL at some point and checks
 * that every write it saw acknowledged is on disk. Run as `node --import tsx level-writer.ts DIR`.
 */
import { LevelStorage } from '../../src/storage/level.js';

const storage = await LevelStorage.open(process.argv[2]!);
const value = new Uint8Array(512).fill(7);
let n = 0;
// Eight writers at once, so that writes are group-committed in batches.
await Promise.all(
  Array.from({ length: 8 }, async () => {
    for (;;) {
      const i = n++;
      await storage.putRecord({
        key: `k${i}`,
        versions: [{ value, deleted: false, dot: { node: 'w~e', counter: i + 1 }, clock: [] }],
        seen: [],
      });
      process.stdout.write(`acked ${i}\n`);
    }
  }),
);
