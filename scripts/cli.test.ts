/** The shared command-line layer (cli.ts), and every script answering bad arguments with exit 2. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { execa } from 'execa';
import { UsageError, parseCommandLine, plainInteger, decimalFlag, issueMessages } from './cli.ts';

const kinds = { heads: 'string', synth: 'boolean' } as const;
const parse = (argv: string[]) => parseCommandLine('gen', argv, kinds);

describe('parseCommandLine', () => {
  it('reads options strictly and takes `--flag -5` as a negative value', () => {
    expect(parse(['--heads', '3', '--synth'])).toEqual({ heads: '3', synth: true });
    expect(parse(['--heads', '-5'])).toEqual({ heads: '-5' });
    expect(parse(['--heads=', '--synth'])).toEqual({ heads: '', synth: true });
  });

  it('answers unknown options, positional arguments and missing or extra values with a UsageError pointing at --help', () => {
    const cases: [string[], string][] = [
      [['--pe', '4'], 'unknown option --pe; see `npm run gen -- --help`'],
      [['4'], "unexpected argument '4': every value follows its --option; see `npm run gen -- --help`"],
      [['--heads'], '--heads needs a value; see `npm run gen -- --help`'],
      [['--heads', '--synth'], '--heads needs a value; see `npm run gen -- --help`'],
      [['--synth=1'], '--synth takes no value; see `npm run gen -- --help`'],
    ];
    for (const [argv, message] of cases) {
      expect(() => parse(argv), argv.join(' ')).toThrow(UsageError);
      expect(() => parse(argv), argv.join(' ')).toThrow(message);
    }
  });
});

describe('integers', () => {
  it('only plain decimal text is an integer', () => {
    for (const t of ['0', '16', '-1', '007']) expect(plainInteger(t), t).toBe(Number(t));
    for (const t of ['', ' 16 ', '0x10', '1e1', '2.5', 'abc', '+3', '16abc', '1_000']) expect(plainInteger(t), JSON.stringify(t)).toBeUndefined();
  });

  it('decimalFlag names the flag, the value as typed and the accepted values', () => {
    const r = decimalFlag('pe', 'integers 1..1024').safeParse('0x10');
    expect(r.success).toBe(false);
    expect(issueMessages(r.error!)).toEqual(["--pe '0x10' is not a plain decimal integer: accepted integers 1..1024"]);
    expect(decimalFlag('pe', 'x').parse('12')).toBe(12);
  });
});

describe('every script refuses bad arguments with exit 2 and a message, before any work', () => {
  const root = join(import.meta.dirname, '..');
  const run = (script: string, args: string[]) => execa('node', ['--import', 'tsx', join(import.meta.dirname, script), ...args], { reject: false, cwd: root });
  const cases: [string, string[], string][] = [
    ['sim.ts', ['--fast'], 'sim: unknown option --fast; see `node --import tsx scripts/sim.ts --help`'],
    ['sim.ts', ['--d', '16', '--pe', '3'], 'sim: --pe 3 does not divide --d 16: accepted divisors of d'],
    ['sim.ts', ['--d', '16', '--jobs', '1x2,0x1'], "sim: --jobs '1x2,0x1': '0x1' is not LxH with L in 1..16384 and H in 1..1024: accepted a comma-separated list such as 1x1,17x3"],
    ['sim.ts', ['--d', '16', '--valid', '0'], 'sim: --valid 0 is out of range: accepted integers 1..100'],
    ['lint.ts', ['--quick'], 'lint: unknown option --quick; see `node --import tsx scripts/lint.ts --help`'],
    ['bench.ts', ['now'], "bench: unexpected argument 'now'"],
    ['example.ts', ['--out', 'x'], 'example: unknown option --out; see `npm run example -- --help`'],
  ];
  for (const [script, args, message] of cases) {
    it(`${script} ${args.join(' ')}`, async () => {
      const r = await run(script, args);
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr.split('\n')[0]).toContain(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }, 60_000);
  }
});
