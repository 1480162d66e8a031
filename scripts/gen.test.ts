/** `npm run gen`: parameters validated with one message per problem, atomic output, all artefacts. */
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, readdir, readFile, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

const script = join(import.meta.dirname, 'gen.ts');
const gen = (args: string[]) => execa('node', ['--import', 'tsx', script, ...args], { reject: false });

describe('npm run gen', () => {
  it('--help lists every parameter with its default and range', async () => {
    const r = await gen(['--help']);
    expect(r.exitCode).toBe(0);
    for (const opt of ['heads', 'pe', 'head-dim', 'n-heads', 'max-context', 'data-int', 'data-frac', 'exp-index', 'exp-interp', 'exp-frac', 'rescale', 'gemv-group', 'gemv-max-cols', 'gemv-weight-bits', 'name', 'out', 'no-synth']) {
      expect(r.stdout, opt).toContain(`--${opt}`);
    }
    expect(r.stdout).toContain('lanes H (heads processed in parallel); 1..64 (default 8)');
  });

  it('reports every invalid value or combination, exits 2 and writes nothing', async () => {
    const out = await mkdtemp(join(tmpdir(), 'gen-'));
    try {
      // Another design already in out/ must stay untouched by a failed run.
      await mkdir(join(out, 'other'));
      await writeFile(join(out, 'other', 'keep.v'), 'module keep; endmodule\n');
      const r = await gen(['--heads', '0', '--pe', '5', '--exp-interp', '11', '--rescale', 'fast', '--out', out]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr.split('\n').filter(Boolean)).toEqual([
        'gen: --heads 0 is out of range: accepted 1..64',
        'gen: --rescale: accepted multiply, shift',
        'gen: --pe 5 does not divide --head-dim 128: accepted divisors of the head dimension',
        "gen: --exp-index 5 + --exp-interp 11 must equal --data-frac 17 (the exp2 unit splits the score's fraction bits)",
      ]);
      expect(await readdir(out)).toEqual(['other']);
      expect(await readFile(join(out, 'other', 'keep.v'), 'utf8')).toBe('module keep; endmodule\n');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('writes the Verilog, file list, manifest, typed ports, XDC and report into out/<name>/', async () => {
    const out = await mkdtemp(join(tmpdir(), 'gen-'));
    try {
      const r = await gen(['--heads', '3', '--pe', '4', '--head-dim', '16', '--no-synth', '--out', out]);
      expect(r.exitCode, r.stderr).toBe(0);
      const dir = join(out, 'swiftkv_mha_h3_pe4');
      const files = await readdir(dir);
      for (const f of ['swiftkv_mha_h3_pe4.f', 'manifest.json', 'ports.ts', 'constraints.xdc', 'report.md', 'swiftkv_mha.v', 'swiftkv_lane_d16_p4_mul_c16384.v']) {
        expect(files, f).toContain(f);
      }
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
      expect(manifest.top).toBe('swiftkv_mha');
      const fl = (await readFile(join(dir, 'swiftkv_mha_h3_pe4.f'), 'utf8')).trim().split('\n');
      expect(fl.at(-1)).toBe('swiftkv_mha.v');
      expect(fl.every((f) => files.includes(f))).toBe(true);
      const report = await readFile(join(dir, 'report.md'), 'utf8');
      expect(report).toContain('one token every 4 cycle(s)');
      expect(await readFile(join(dir, 'constraints.xdc'), 'utf8')).toContain('create_clock -period');
      // --name overrides the folder; the first design stays.
      const r2 = await gen(['--heads', '1', '--pe', '16', '--head-dim', '16', '--no-synth', '--out', out, '--name', 'mine']);
      expect(r2.exitCode, r2.stderr).toBe(0);
      expect((await readdir(out)).sort()).toEqual(['mine', 'swiftkv_mha_h3_pe4']);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 120_000);

  it('synthesises with Yosys for the report: resources per module, no latch, logic depth', async () => {
    const out = await mkdtemp(join(tmpdir(), 'gen-'));
    try {
      const r = await gen(['--heads', '1', '--pe', '4', '--head-dim', '16', '--max-context', '64', '--out', out]);
      expect(r.exitCode, r.stderr).toBe(0);
      const report = await readFile(join(out, 'swiftkv_mha_h1_pe4', 'report.md'), 'utf8');
      expect(report).toMatch(/\| swiftkv_lane_d16_p4_mul_c64 \| \d+ \| \d+ \| \d+ \|/);
      expect(report).toContain('Latches: 0.');
      expect(report).toMatch(/\| swiftkv_exp2_i5_j12_f30 \|( [\d.]+ \|){7} \d+ \|/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 600_000);
});
