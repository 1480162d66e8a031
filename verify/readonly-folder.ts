/**
 * Test support: a folder nobody can write in, for the output-location checks of the CLIs. As
 * root, permission bits do not stop writes, so the folder is made immutable (chattr +i); where
 * that is not possible either, /sys stands in (mkdir there fails with EPERM even for root).
 */
import { mkdir, chmod, rmdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

async function canWrite(dir: string): Promise<boolean> {
  try {
    await rmdir(await mkdtemp(join(dir, 'probe-')));
    return true;
  } catch {
    return false;
  }
}

/** Run `fn` with a read-only folder (created at `path` when possible); restores it afterwards. */
export async function readOnlyFolder(path: string, fn: (dir: string) => Promise<void>): Promise<void> {
  await mkdir(path, { recursive: true });
  await chmod(path, 0o555);
  if (!(await canWrite(path))) {
    try {
      await fn(path);
    } finally {
      await chmod(path, 0o755);
    }
    return;
  }
  const immutable = await execa('chattr', ['+i', path], { reject: false });
  if (immutable.exitCode === 0 && !(await canWrite(path))) {
    try {
      await fn(path);
    } finally {
      await execa('chattr', ['-i', path], { reject: false });
      await chmod(path, 0o755);
    }
    return;
  }
  await chmod(path, 0o755);
  if (await canWrite('/sys')) throw new Error(`cannot make a read-only folder here (tried chmod, chattr +i and /sys)`);
  await fn('/sys');
}
