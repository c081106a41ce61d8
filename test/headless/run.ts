/** Runs the `dynamo-node` command (bin/dynamo-node.js) as a child process, for its tests and the end-to-end test. */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/dynamo-node.js');

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs the command to its end (killed after `timeoutMs`). */
export function runCli(args: string[], options: SpawnOptions & { timeoutMs?: number } = {}): Promise<Finished> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A running node: its process, what it printed, and the joined line's id and API URL once it printed it. */
export interface RunningNode {
  readonly child: ChildProcess;
  readonly id: string;
  readonly api: string | undefined;
  readonly line: string;
  output(): { stdout: string; stderr: string };
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the command and waits for its joined line; rejects with what it printed if it exits first. */
export function startCli(args: string[], options: SpawnOptions & { timeoutMs?: number } = {}): Promise<RunningNode> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`dynamo-node did not join within ${options.timeoutMs ?? 20_000} ms: ${stdout}${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('joined room '));
      const id = line && /as (node-[0-9a-f]{24})/.exec(line)?.[1];
      if (line && id) {
        clearTimeout(timer);
        resolve({ child, id, api: /API on (http:\/\/\S+)/.exec(line)?.[1], line, output: () => ({ stdout, stderr }), exited });
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`dynamo-node exited (${code ?? signal}) before joining: ${stdout}${stderr}`));
    });
  });
}

/** Every file under `dir` with its size, mode and content hash: equal snapshots mean nothing changed. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const s = statSync(path);
      if (s.isDirectory()) walk(path);
      else
        out[path.slice(dir.length)] =
          `${s.size} ${s.mode.toString(8)} ${s.mtimeMs} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
    }
  };
  walk(dir);
  return out;
}
