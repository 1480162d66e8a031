/**
 * Content-addressed build cache for simulator builds.
 *
 * Entries are directories `<root>/<name>`. They are created in a private temp
 * directory next to the final location and atomically renamed into place, so
 * concurrent builders (vitest runs test files in parallel worker processes)
 * never see a half-written entry. A lock file avoids building the same entry
 * twice concurrently (across processes); correctness does not depend on it.
 * A failed build leaves no entry behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump to invalidate every existing cache entry (e.g. after changing build logic). */
export const CACHE_FORMAT_VERSION = 1;

/** Project root: the directory containing `sim/`. */
export function projectRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..');
}

/** `<project>/.cache/sim` (git-ignored). */
export function defaultCacheRoot(): string {
  return join(projectRoot(), '.cache', 'sim');
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Incremental hash over labelled fields (length-prefixed, so field boundaries are unambiguous). */
export class KeyHasher {
  private readonly h = createHash('sha256');

  add(label: string, value: string | Buffer): this {
    const buf = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.h.update(`${label}:${buf.length}:`);
    this.h.update(buf);
    this.h.update('\n');
    return this;
  }

  digest(): string {
    return this.h.digest('hex');
  }
}

/** File extensions hashed in include directories (non-recursive). */
const INCLUDE_EXTS = ['.v', '.vh', '.sv', '.svh', '.vinc', '.inc', '.h'];

export interface BuildKeyInput {
  simulator: string;
  /** Tool version string(s). */
  version: string;
  top: string;
  /** Absolute paths, in compile order (order matters for `define / `timescale). */
  sources: readonly string[];
  includeDirs?: readonly string[];
  defines?: Readonly<Record<string, string | number>>;
  /** Every argument that influences the build: backend flags + user extra args. */
  args: readonly string[];
}

/**
 * SHA-256 over simulator + version, top, the content of every source file
 * (with its basename, in compile order), Verilog-ish files of the include
 * directories, defines (sorted by name) and build arguments.
 */
export async function computeBuildKey(input: BuildKeyInput): Promise<string> {
  const h = new KeyHasher();
  h.add('format', String(CACHE_FORMAT_VERSION));
  h.add('simulator', input.simulator);
  h.add('version', input.version);
  h.add('top', input.top);
  for (const src of input.sources) {
    h.add('source', basename(src));
    h.add('content', await readFile(src));
  }
  for (const [i, dir] of (input.includeDirs ?? []).entries()) {
    h.add('incdir', String(i));
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => INCLUDE_EXTS.some((e) => n.endsWith(e))).sort();
    } catch {
      names = []; // missing include dir: the tool will complain if it matters
    }
    for (const n of names) {
      const p = join(dir, n);
      const st = await stat(p).catch(() => undefined);
      if (!st?.isFile()) continue;
      h.add('incfile', n);
      h.add('content', await readFile(p));
    }
  }
  for (const k of Object.keys(input.defines ?? {}).sort()) {
    h.add('define', `${k}=${String((input.defines ?? {})[k])}`);
  }
  for (const a of input.args) h.add('arg', a);
  return h.digest();
}

export interface CacheEntryResult {
  dir: string;
  /** True if the entry already existed (built earlier or concurrently by someone else). */
  cached: boolean;
}

export interface CacheEntrySpec {
  root: string;
  /** Directory name of the entry (must be a single path component). */
  name: string;
  /** Whether a directory holds a complete entry (e.g. manifest + artifact exist). */
  isComplete(dir: string): Promise<boolean>;
  /** Populate `tmpDir` (an empty directory). Throwing aborts and removes it. */
  create(tmpDir: string): Promise<void>;
  /** Give up waiting for another process's build after this long, then build anyway. */
  lockWaitMs?: number;
}

const inFlight = new Map<string, Promise<CacheEntryResult>>();

/** Return the complete entry `<root>/<name>`, creating it (once, atomically) if needed. */
export function getOrCreateCacheEntry(spec: CacheEntrySpec): Promise<CacheEntryResult> {
  const finalDir = join(spec.root, spec.name);
  const pending = inFlight.get(finalDir);
  if (pending) return pending;
  const p = createEntry(spec, finalDir).finally(() => inFlight.delete(finalDir));
  inFlight.set(finalDir, p);
  return p;
}

async function createEntry(spec: CacheEntrySpec, finalDir: string): Promise<CacheEntryResult> {
  await mkdir(spec.root, { recursive: true });
  if (await spec.isComplete(finalDir)) return { dir: finalDir, cached: true };

  const lock = await acquireLock(`${finalDir}.lock`, () => spec.isComplete(finalDir), spec.lockWaitMs ?? 30 * 60_000);
  try {
    if (lock === 'completed' || (await spec.isComplete(finalDir))) return { dir: finalDir, cached: true };
    if (await exists(finalDir)) await discard(finalDir); // incomplete leftover (e.g. files deleted by hand)
    if (lock !== 'unlocked') {
      // Holding the lock: temp dirs of this entry are leftovers of killed builders.
      for (const n of await readdir(spec.root)) {
        if (n.startsWith(`.tmp-${spec.name}-`)) await rm(join(spec.root, n), { recursive: true, force: true });
      }
    }

    const tmp = await mkdtemp(join(spec.root, `.tmp-${spec.name}-`));
    try {
      await spec.create(tmp);
      await chmod(tmp, 0o755); // mkdtemp creates 0700
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
    try {
      await rename(tmp, finalDir);
      return { dir: finalDir, cached: false };
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      const code = (e as NodeJS.ErrnoException).code;
      if ((code === 'EEXIST' || code === 'ENOTEMPTY') && (await spec.isComplete(finalDir))) {
        return { dir: finalDir, cached: true }; // lost a race: someone else's identical build won
      }
      throw e;
    }
  } finally {
    if (lock !== 'completed' && lock !== 'unlocked') await lock.release();
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

async function discard(dir: string): Promise<void> {
  const trash = `${dir}.trash-${randomBytes(4).toString('hex')}`;
  try {
    await rename(dir, trash);
  } catch {
    return; // someone else removed or replaced it
  }
  await rm(trash, { recursive: true, force: true });
}

interface Lock {
  release(): Promise<void>;
}

interface LockInfo {
  pid: number;
  host: string;
  time: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Exclusive lock file. Returns 'completed' if the entry became complete while
 * waiting, 'unlocked' if waiting timed out (proceed without the lock).
 */
async function acquireLock(
  path: string,
  completed: () => Promise<boolean>,
  maxWaitMs: number,
): Promise<Lock | 'completed' | 'unlocked'> {
  const start = Date.now();
  const me: LockInfo = { pid: process.pid, host: hostname(), time: Date.now() };
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(JSON.stringify(me));
      await fh.close();
      return {
        release: async () => {
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (await completed()) return 'completed';
    // Lock held: break it if its owner is gone.
    let info: LockInfo | undefined;
    try {
      info = JSON.parse(await readFile(path, 'utf8')) as LockInfo;
    } catch {
      info = undefined; // being written right now, or just removed
    }
    const st = await stat(path).catch(() => undefined);
    const stale =
      (info !== undefined && info.host === me.host && !pidAlive(info.pid)) ||
      (st !== undefined && Date.now() - st.mtimeMs > 2 * 60 * 60_000);
    if (stale) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (Date.now() - start > maxWaitMs) return 'unlocked';
    await sleep(200);
  }
}
