/**
 * `npm run gen`: every bad input answered with exit 2 and a message naming it (before any
 * work), a user's folders and files never replaced, atomic output, all artefacts.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, readdir, readFile, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { GEN_PARAMS, PARAM_KEYS, type IntParam } from '../generators/swiftkv/params.ts';
import { readOnlyFolder } from '../verify/readonly-folder.ts';

const script = join(import.meta.dirname, 'gen.ts');
const root = join(import.meta.dirname, '..');
const gen = (args: string[], env?: Record<string, string>) =>
  execa('node', ['--import', 'tsx', script, ...args], { reject: false, cwd: root, ...(env ? { env: { ...process.env, ...env } } : {}) });
/** A small design, quick to generate. */
const small = ['--heads', '1', '--pe', '4', '--head-dim', '16', '--no-synth'];

async function scratch(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gen-'));
  try {
    await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** stderr lines of a refused run: exit 2, each line `gen: ...`, no stack trace, nothing on stdout. */
function refused(r: { exitCode?: number; stderr: string; stdout: string }): string[] {
  expect(r.exitCode, r.stderr).toBe(2);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
  return r.stderr.split('\n').filter(Boolean);
}

const intKeys = PARAM_KEYS.filter((k) => GEN_PARAMS[k].kind === 'int');

describe('npm run gen: arguments', () => {
  it('--help lists every parameter with its accepted range and default from params.ts, and the exit codes', async () => {
    const r = await gen(['--help']);
    expect(r.exitCode).toBe(0);
    for (const k of PARAM_KEYS) {
      const s = GEN_PARAMS[k];
      const accepted = s.kind === 'int' ? `integers ${s.min}..${s.max}` : s.choices.join(', ');
      expect(r.stdout, s.flag).toContain(`--${s.flag}`);
      expect(r.stdout, s.flag).toContain(`${s.doc}; ${accepted} (default ${String(s.default)})`);
    }
    for (const opt of ['name', 'out', 'no-synth']) expect(r.stdout, opt).toContain(`--${opt}`);
    expect(r.stdout).toContain('exit codes: 0 done; 2 a problem');
  });

  it('reports every invalid value or combination at once, exits 2 and writes nothing', async () => {
    await scratch(async (out) => {
      // Another design already in out/ must stay untouched by a failed run.
      await mkdir(join(out, 'other'));
      await writeFile(join(out, 'other', 'keep.v'), 'module keep; endmodule\n');
      const r = await gen(['--heads', '0', '--pe', '5', '--exp-interp', '11', '--rescale', 'fast', '--out', out]);
      expect(refused(r)).toEqual([
        'gen: --heads 0 is out of range: accepted integers 1..64',
        "gen: --rescale 'fast' is not supported: accepted multiply, shift",
        'gen: --pe 5 does not divide --head-dim 128: accepted divisors of the head dimension',
        "gen: --exp-index 5 + --exp-interp 11 must equal --data-frac 17 (the exp2 unit splits the score's fraction bits)",
      ]);
      expect(await readdir(out)).toEqual(['other']);
      expect(await readFile(join(out, 'other', 'keep.v'), 'utf8')).toBe('module keep; endmodule\n');
    });
  });

  it('takes only plain decimal integers, naming the flag, the value as typed and the range', async () => {
    const r = await gen(['--pe', '2.5', '--heads', '', '--head-dim', '0x10', '--n-heads', ' 16 ', '--max-context', '1e1', '--exp-frac', 'abc', '--data-int', '-1']);
    expect(refused(r)).toEqual([
      "gen: --heads '' is not a plain decimal integer: accepted integers 1..64",
      "gen: --pe '2.5' is not a plain decimal integer: accepted integers 1..128",
      "gen: --head-dim '0x10' is not a plain decimal integer: accepted integers 1..4096",
      "gen: --n-heads ' 16 ' is not a plain decimal integer: accepted integers 1..1024",
      "gen: --max-context '1e1' is not a plain decimal integer: accepted integers 1..16777216",
      "gen: --exp-frac 'abc' is not a plain decimal integer: accepted integers 4..35",
      'gen: --data-int -1 is out of range: accepted integers 2..31',
    ]);
  });

  it('refuses a --top that is not a module name, or that names one of the design\'s modules', async () => {
    expect(refused(await gen([...small, '--top', 'module']))).toEqual(["gen: --top 'module' is not a Verilog module name: accepted a letter or _ followed by letters, digits, _ or $, not a keyword"]);
    expect(refused(await gen([...small, '--top', '9x']))).toEqual(["gen: --top '9x' is not a Verilog module name: accepted a letter or _ followed by letters, digits, _ or $, not a keyword"]);
    expect(refused(await gen([...small, '--top', 'skid_w64_f']))).toEqual(['gen: --top skid_w64_f is the name of one of the design\'s modules: accepted another name']);
  });

  it('refuses unknown flags, positional arguments and missing values with a pointer to --help', async () => {
    expect(refused(await gen(['--fast']))).toEqual(['gen: unknown option --fast; see `npm run gen -- --help`']);
    expect(refused(await gen(['8']))).toEqual(["gen: unexpected argument '8': every value follows its --option; see `npm run gen -- --help`"]);
    expect(refused(await gen(['--heads']))).toEqual(['gen: --heads needs a value; see `npm run gen -- --help`']);
    expect(refused(await gen(['--no-synth=yes']))).toEqual(['gen: --no-synth takes no value; see `npm run gen -- --help`']);
  });

  it('one past either end of every range is refused, naming the flag (two runs: all lows, all highs)', async () => {
    for (const end of ['low', 'high'] as const) {
      const args = intKeys.flatMap((k) => {
        const s = GEN_PARAMS[k] as IntParam;
        return [`--${s.flag}`, String(end === 'low' ? s.min - 1 : s.max + 1)];
      });
      const lines = refused(await gen(args));
      for (const k of intKeys) {
        const s = GEN_PARAMS[k] as IntParam;
        expect(lines, s.flag).toContain(`gen: --${s.flag} ${end === 'low' ? s.min - 1 : s.max + 1} is out of range: accepted integers ${s.min}..${s.max}`);
      }
    }
  });

  it('range ends generate (--max-context 1; 27 fraction bits of data with the widest exp2 split and dot)', async () => {
    await scratch(async (out) => {
      const r1 = await gen([...small, '--max-context', '1', '--out', out, '--name', 'a']);
      expect(r1.exitCode, r1.stderr).toBe(0);
      const r2 = await gen([...small, '--data-int', '5', '--data-frac', '27', '--exp-index', '10', '--exp-interp', '17', '--exp-frac', '28', '--acc-frac', '27', '--dot-frac', '54', '--out', out, '--name', 'b']);
      expect(r2.exitCode, r2.stderr).toBe(0);
      expect((await readdir(out)).sort()).toEqual(['a', 'b']);
    });
  }, 120_000);
});

describe('npm run gen: the output location, checked before any work', () => {
  it('never replaces a user folder or file (exit 2, byte-identical), and replaces a previous design', async () => {
    await scratch(async (out) => {
      await mkdir(join(out, 'keep'));
      await writeFile(join(out, 'keep', 'n.txt'), 'hi\n');
      await writeFile(join(out, 'mine'), 'my file\n');
      expect(refused(await gen([...small, '--out', out, '--name', 'keep']))).toEqual([
        `gen: ${join(out, 'keep')} has no manifest.json, so it is not a design folder written by this tool: refusing to replace it; choose another --name or --out, or move it away`,
      ]);
      expect(refused(await gen([...small, '--out', out, '--name', 'mine']))[0]).toContain(`gen: ${join(out, 'mine')} is a file, not a design folder`);
      expect(await readFile(join(out, 'keep', 'n.txt'), 'utf8')).toBe('hi\n');
      expect(await readFile(join(out, 'mine'), 'utf8')).toBe('my file\n');
      // A previous design is replaced; a file the user added to it makes it theirs.
      expect((await gen([...small, '--out', out, '--name', 'd'])).exitCode).toBe(0);
      const r = await gen([...small, '--heads', '2', '--out', out, '--name', 'd']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(JSON.parse(await readFile(join(out, 'd', 'manifest.json'), 'utf8')).generator.params.heads).toBe(2);
      await writeFile(join(out, 'd', 'notes.txt'), 'mine\n');
      expect(refused(await gen([...small, '--out', out, '--name', 'd']))[0]).toContain('holds files its manifest.json does not list (notes.txt)');
      expect(await readFile(join(out, 'd', 'notes.txt'), 'utf8')).toBe('mine\n');
      expect((await readdir(out)).sort()).toEqual(['d', 'keep', 'mine']);
    });
  }, 120_000);

  it('refuses --out as a file, under a file, read-only or empty before any synthesis, and creates a missing folder', async () => {
    await scratch(async (dir) => {
      await writeFile(join(dir, 'f'), 'x');
      // No --no-synth: the refusal comes before any Yosys run (stdout empty, well under a second of work).
      const withSynth = ['--heads', '1', '--pe', '4', '--head-dim', '16'];
      expect(refused(await gen([...withSynth, '--out', join(dir, 'f')]))).toEqual([`gen: --out ${join(dir, 'f')} is a file: accepted a folder (created if missing)`]);
      expect(refused(await gen([...withSynth, '--out', join(dir, 'f', 'sub')]))).toEqual([`gen: --out ${join(dir, 'f', 'sub')}: ${join(dir, 'f')} is a file, so the folder cannot be created`]);
      expect(refused(await gen([...withSynth, '--out', '']))).toEqual(["gen: --out '' is empty: accepted a folder path"]);
      await readOnlyFolder(join(dir, 'ro'), async (ro) => {
        expect(refused(await gen([...withSynth, '--out', join(ro, 'x')]))[0]).toContain(`gen: --out ${join(ro, 'x')}: cannot write in ${ro} (`);
      });
      const r = await gen([...small, '--out', join(dir, 'new', 'deeper')]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(await readdir(join(dir, 'new', 'deeper'))).toEqual(['swiftkv_mha_h1_p4_d16']);
    });
  }, 120_000);

  it('resolves relative paths against the caller folder (INIT_CWD) and shows the resolved path', async () => {
    await scratch(async (dir) => {
      const r = await gen([...small, '--out', 'rel'], { INIT_CWD: dir });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain(`-> ${join(dir, 'rel', 'swiftkv_mha_h1_p4_d16')}/`);
      expect(existsSync(join(dir, 'rel', 'swiftkv_mha_h1_p4_d16', 'manifest.json'))).toBe(true);
      await writeFile(join(dir, 'afile'), 'x');
      expect(refused(await gen([...small, '--out', 'afile'], { INIT_CWD: dir }))).toEqual([`gen: --out ${join(dir, 'afile')} is a file: accepted a folder (created if missing)`]);
    });
  }, 120_000);
});

describe('npm run gen: artefacts', () => {
  it('writes the Verilog, file list, manifest, typed ports, XDC and report into out/<name>/', async () => {
    await scratch(async (out) => {
      const r = await gen(['--heads', '3', '--pe', '4', '--head-dim', '16', '--no-synth', '--out', out]);
      expect(r.exitCode, r.stderr).toBe(0);
      // Folder, top module, its file and the file list share the default top name.
      const top = 'swiftkv_mha_h3_p4_d16';
      expect(r.stdout).toContain(`generated top ${top} (`);
      const dir = join(out, top);
      const files = await readdir(dir);
      for (const f of [`${top}.f`, 'manifest.json', 'ports.ts', 'constraints.xdc', 'report.md', 'report.json', `${top}.v`]) {
        expect(files, f).toContain(f);
      }
      // Module files are named after their content hash (stable for the same RTL).
      expect(files.filter((f) => /^swiftkv_lane_d16_p4_mul_[0-9a-f]{8}\.v$/.test(f))).toHaveLength(1);
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
      expect(manifest.top).toBe(top);
      const fl = (await readFile(join(dir, `${top}.f`), 'utf8')).trim().split('\n');
      expect(fl.at(-1)).toBe(`${top}.v`);
      expect(fl.every((f) => files.includes(f))).toBe(true);
      const report = await readFile(join(dir, 'report.md'), 'utf8');
      expect(report).toContain(`\`${top}.f\`: file list`);
      expect(report).toMatch(/a token every \d+ cycle\(s\) \(B = d\/P = 16\/4 beats/);
      expect(report).toContain('## Decode model');
      expect(await readFile(join(dir, 'constraints.xdc'), 'utf8')).toContain('create_clock -period');
      // --name overrides the folder, --top the top module; the first design stays.
      const r2 = await gen(['--heads', '1', '--pe', '16', '--head-dim', '16', '--no-synth', '--out', out, '--name', 'mine', '--top', 'my_top']);
      expect(r2.exitCode, r2.stderr).toBe(0);
      expect((await readdir(out)).sort()).toEqual(['mine', top]);
      expect(JSON.parse(await readFile(join(out, 'mine', 'manifest.json'), 'utf8')).top).toBe('my_top');
      expect(await readdir(join(out, 'mine'))).toContain('my_top.f');
    });
  }, 120_000);

  it('synthesises with Yosys for the report: resources per module, no latch, every DSP a registered tile', async () => {
    await scratch(async (out) => {
      const r = await gen(['--heads', '1', '--pe', '4', '--head-dim', '16', '--max-context', '64', '--out', out]);
      expect(r.exitCode, r.stderr).toBe(0);
      // A non-default parameter (max-context) puts a hash of it into the default name.
      const [folder] = await readdir(out);
      expect(folder).toMatch(/^swiftkv_mha_h1_p4_d16_[0-9a-f]{8}$/);
      const report = await readFile(join(out, folder!, 'report.md'), 'utf8');
      expect(report).toMatch(/\| swiftkv_lane_d16_p4_mul_[0-9a-f]{8} \| \d+ \| \d+ \| \d+ \|/);
      expect(report).toContain('Latches: 0.');
      const json = JSON.parse(await readFile(join(out, folder!, 'report.json'), 'utf8'));
      expect(json.dspTotal).toBeGreaterThan(0);
      expect(json.dspRegistered).toBe(json.dspTotal);
    });
  }, 600_000);
});
