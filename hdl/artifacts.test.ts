/**
 * writeDesign never replaces what it did not write, and swaps a regenerated design in so that a
 * concurrent reader always finds a complete design (old or new) at its path.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { Module, u, emitDesign } from './index.ts';
import { writeDesign, replaceProblem, DesignFolderError, sweepTemporaries } from './artifacts.ts';

function tiny(width: number) {
  const m = new Module('tiny');
  const a = m.input('a', u(width));
  m.output('y', u(width)).set(a);
  return emitDesign(m);
}

async function inScratch(f: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'artifacts-'));
  try {
    await f(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

describe('writeDesign replaces only a design it wrote', () => {
  it('refuses a user folder, a user file, a symlink and a design folder with a user file in it, leaving each untouched', async () => {
    await inScratch(async (root) => {
      await mkdir(join(root, 'keep'));
      await writeFile(join(root, 'keep', 'n.txt'), 'hi\n');
      await writeFile(join(root, 'file'), 'mine\n');
      await symlink(join(root, 'keep'), join(root, 'link'));
      await writeDesign(tiny(4), root, 'design');
      await writeFile(join(root, 'design', 'notes.txt'), 'my notes\n');
      const expected: Record<string, RegExp> = {
        keep: /keep has no manifest.json, so it is not a design folder written by this tool/,
        file: /file is a file, not a design folder/,
        link: /link is a symbolic link/,
        design: /design holds files its manifest.json does not list \(notes.txt\)/,
      };
      for (const [name, msg] of Object.entries(expected)) {
        await expect(writeDesign(tiny(8), root, name), name).rejects.toThrow(DesignFolderError);
        await expect(writeDesign(tiny(8), root, name), name).rejects.toThrow(msg);
      }
      expect(await readFile(join(root, 'keep', 'n.txt'), 'utf8')).toBe('hi\n');
      expect(await readFile(join(root, 'file'), 'utf8')).toBe('mine\n');
      expect(await readFile(join(root, 'design', 'notes.txt'), 'utf8')).toBe('my notes\n');
      expect(await readFile(join(root, 'design', 'tiny.v'), 'utf8')).toContain('[3:0]');
      // Nothing else written: no temporaries left.
      expect((await readdir(root)).sort()).toEqual(['design', 'file', 'keep', 'link']);
    });
  });

  it('replaces its own previous design, keeping no temporaries and no old files', async () => {
    await inScratch(async (root) => {
      await writeDesign(tiny(4), root, 'd', [{ name: 'old-only.txt', content: 'x' }]);
      expect(await replaceProblem(join(root, 'd'))).toBeUndefined();
      await writeDesign(tiny(8), root, 'd');
      expect(await readFile(join(root, 'd', 'tiny.v'), 'utf8')).toContain('[7:0]');
      expect(await readdir(join(root, 'd'))).not.toContain('old-only.txt');
      expect(await readdir(root)).toEqual(['d']);
    });
  });

  it('sweeps only its own stale temporaries', async () => {
    await inScratch(async (root) => {
      for (const n of ['.tmp-d-a1B2c3', '.tmp-mine', 'tmp-d-a1B2c3']) await mkdir(join(root, n));
      const old = new Date(Date.now() - 2 * 3600_000);
      const { utimes } = await import('node:fs/promises');
      for (const n of ['.tmp-d-a1B2c3', '.tmp-mine', 'tmp-d-a1B2c3']) await utimes(join(root, n), old, old);
      await sweepTemporaries(root);
      expect((await readdir(root)).sort()).toEqual(['.tmp-mine', 'tmp-d-a1B2c3']);
    });
  });
});

/**
 * A reader in another process probes <root>/d/manifest.json as fast as it can while the design
 * is regenerated `swaps` times; returns its probe and failure counts.
 */
async function probeWhileRegenerating(swaps: number, env: Record<string, string> = {}): Promise<{ probes: number; missing: number; swaps: number }> {
  let result = { probes: 0, missing: 0, swaps };
  await inScratch(async (root) => {
    await writeDesign(tiny(4), root, 'd');
    const stop = join(root, 'stop');
    const reader = execa('node', ['-e', `
      const fs = require('node:fs');
      const [file, stop] = process.argv.slice(1);
      let probes = 0, missing = 0;
      fs.writeFileSync(stop + '.ready', '');
      while (!fs.existsSync(stop)) {
        for (let i = 0; i < 200; i++) {
          probes++;
          try { if (JSON.parse(fs.readFileSync(file, 'utf8')).design !== 'd') missing++; } catch { missing++; }
        }
      }
      console.log(JSON.stringify({ probes, missing }));
    `, join(root, 'd', 'manifest.json'), stop]);
    while (!(await readdir(root)).includes('stop.ready')) await new Promise((r) => setTimeout(r, 10));
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      for (let i = 0; i < swaps; i++) await writeDesign(tiny(i % 2 === 0 ? 8 : 4), root, 'd');
    } finally {
      process.env = saved;
    }
    await writeFile(stop, '');
    const out = JSON.parse((await reader).stdout) as { probes: number; missing: number };
    result = { ...out, swaps };
  });
  return result;
}

describe('regeneration is atomic for readers', () => {
  it('a concurrent reader never finds the design missing or incomplete over 40 regenerations (renameat2 exchange)', async () => {
    const r = await probeWhileRegenerating(40);
    expect(r.probes).toBeGreaterThan(1000);
    expect(r.missing, JSON.stringify(r)).toBe(0);
  }, 120_000);

  it('the same reader does see the gap of the two-rename fallback (so the check above can fail)', async () => {
    const r = await probeWhileRegenerating(40, { SWIFTKV_NO_EXCHANGE: '1' });
    expect(r.missing, JSON.stringify(r)).toBeGreaterThan(0);
  }, 120_000);
});
