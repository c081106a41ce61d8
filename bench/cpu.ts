/**
 * CPU time of the browser this benchmark launched, by Chromium process type (renderer, browser,
 * gpu-process, utility: its storage and network services), read from /proc (Linux) for every
 * process below this one. What 2,000 operations a second must fit in: two cores give 1 ms of CPU
 * an operation for all of them together. Elsewhere than Linux it reads nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Clock ticks a second, as /proc/<pid>/stat counts CPU time. */
function ticksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
}

interface Proc {
  readonly parent: number;
  readonly ticks: number;
  readonly type: string;
  readonly chromium: boolean;
}

function processes(): Map<number, Proc> {
  const out = new Map<number, Proc>();
  if (!existsSync('/proc/self/stat')) return out;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: the fields after it are split.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Chromium rewrites its processes' titles: the arguments may be one string, spaces between.
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const type = /--type=([a-z-]+)/.exec(cmdline)?.[1] ?? 'browser';
      out.set(Number(name), {
        parent: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]),
        type,
        chromium: /chrom/i.test(cmdline.split(/[\0 ]/)[0] ?? ''),
      });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Chromium's processes below this one: pid -> its type and CPU ticks so far. */
function chromium(): Map<number, Proc> {
  const all = processes();
  const below = (pid: number): boolean => {
    for (let p = all.get(pid)?.parent, hops = 0; p !== undefined && hops < 64; p = all.get(p)?.parent, hops++) {
      if (p === process.pid) return true;
    }
    return false;
  };
  const out = new Map<number, Proc>();
  for (const [pid, proc] of all) if (proc.chromium && below(pid)) out.set(pid, proc);
  return out;
}

/** Starts counting; the function returned gives the CPU milliseconds each process type used since. */
export function cpuByProcessType(): () => Record<string, number> {
  const ticks = ticksPerSecond();
  const before = chromium();
  return () => {
    const used: Record<string, number> = {};
    for (const [pid, now] of chromium()) {
      const spent = now.ticks - (before.get(pid)?.ticks ?? 0);
      used[now.type] = (used[now.type] ?? 0) + (spent * 1000) / ticks;
    }
    return used;
  };
}
