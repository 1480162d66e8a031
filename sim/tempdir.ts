/**
 * Temporary folders that never outlive the process: every folder made here is removed when its
 * callback ends (normally or by an error) and, if the process is interrupted (SIGINT, SIGTERM,
 * SIGHUP), by a handler that removes all live ones and then exits with the conventional code
 * 128 + signal number. Child processes (simulators, Yosys) get the signal from the terminal
 * themselves; their folders go with ours.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();
let handlersInstalled = false;

const SIGNALS: Record<string, number> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };

function removeAllNow(): void {
  for (const dir of live) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Best effort while exiting.
    }
  }
  live.clear();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const [sig, num] of Object.entries(SIGNALS)) {
    process.once(sig, () => {
      removeAllNow();
      process.exit(128 + num);
    });
  }
  process.once('exit', removeAllNow);
}

/** Make a temporary folder (under the OS temp dir unless `parent` is given) tracked for cleanup. */
export function makeTempDir(prefix: string, parent: string = tmpdir()): string {
  installHandlers();
  const dir = mkdtempSync(join(parent, prefix));
  live.add(dir);
  return dir;
}

/** Remove a folder made by makeTempDir (idempotent). */
export async function removeTempDir(dir: string): Promise<void> {
  live.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

/** Run `fn` with a fresh temporary folder that is removed afterwards, whatever happens. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>, parent?: string): Promise<T> {
  const dir = makeTempDir(prefix, parent);
  try {
    return await fn(dir);
  } finally {
    await removeTempDir(dir);
  }
}

/** Folders currently alive (for tests). */
export function liveTempDirs(): readonly string[] {
  return [...live];
}
