/** Replays swarm seeds: `npm run replay -- 17` or `npm run replay -- 1-50`. Exits 1 on a violation. */
import { runSwarm } from './swarm.js';

function seedsFrom(args: string[]): number[] {
  const seeds: number[] = [];
  for (const arg of args) {
    const range = /^(\d+)-(\d+)$/.exec(arg);
    if (range) for (let s = Number(range[1]); s <= Number(range[2]); s++) seeds.push(s);
    else if (/^\d+$/.test(arg)) seeds.push(Number(arg));
    else throw new Error(`not a seed or a range of seeds: ${arg}`);
  }
  return seeds;
}

const seeds = seedsFrom(process.argv.slice(2).filter((a) => a !== '--seed'));
if (seeds.length === 0) {
  console.error('usage: npm run replay -- SEED [SEED|FROM-TO ...]');
  process.exit(2);
}
let failed = 0;
for (const seed of seeds) {
  const started = Date.now();
  const report = await runSwarm(seed);
  const ok = report.violations.length === 0;
  if (!ok) failed++;
  console.log(
    `seed ${seed}: ${ok ? 'ok' : 'VIOLATIONS'} (${report.setup}; ${report.ops.ok} ops ok, ${report.ops.failed} failed; ` +
      `settled in ${report.settleMs} ms virtual, ${Date.now() - started} ms real)`,
  );
  for (const v of report.violations) console.log(`  ${v}`);
}
process.exit(failed > 0 ? 1 : 0);
