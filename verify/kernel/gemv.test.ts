import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeNpy, readNpy } from '../../testbenches/npy.ts';
import { gemvReference } from '../../generators/kernel/layout.ts';
import { makeRng } from '../rng.ts';
import { randomGemv } from './jobs.ts';
import { runScript } from '../run-script.ts';

const run = (args: string[]) => runScript('gemv.ts', args);

describe('npm run gemv (through the kernel and the memory model)', () => {
  it('an INT4 layer from int8/int16 .npy files: y bit-exact with the exact sum, written as int64; bad inputs exit 2 and write nothing', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gemv-'));
    try {
      const data = randomGemv({ G: 32 }, makeRng(21), 90, 64, true);
      const f = (n: string): string => path.join(dir, n);
      writeNpy(f('w.npy'), data.W.flat(), [90, 64], '|i1');
      writeNpy(f('x.npy'), data.x, [64], '|i1');
      writeNpy(f('s.npy'), data.scale.flat(), [90, 2], '<i2');
      const base = ['--w', f('w.npy'), '--x', f('x.npy'), '--scales', f('s.npy')];
      const ok = run([...base, '--out', f('y.npy'), '--int4', '--data-bits', '256']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/y bit-exact with the exact sum: yes/);
      expect(ok.stdout).toMatch(/cycles from the ap_start write to the interrupt: \d+; the bare array \(gemvCycles\): \d+/);
      const y = readNpy(f('y.npy'));
      expect(y.dtype).toBe('<i8');
      expect(Array.from(y.data).map(BigInt)).toEqual(gemvReference(data.W, data.x, data.scale, 32));
      // INT8 weights read as INT4, a wrong scales shape, a bad option value.
      writeNpy(f('w8.npy'), data.W.flat().map((v, i) => (i === 70 ? 9 : v)), [90, 64], '|i1');
      for (const [args, message] of [
        [['--w', f('w8.npy'), ...base.slice(2), '--int4'], /--w\[1, 6\] = 9: accepted integers -8\.\.7/],
        [[...base.slice(0, 4), '--scales', f('x.npy')], /--scales .*x\.npy: shape \(64\) has 1 dimension\(s\); accepted \[M, N \/ group\]/],
        [[...base, '--pe', '3'], /--pe 3 is not supported: accepted 1, 2, 4, 8 or 16/],
      ] as const) {
        const r = run([...args, '--out', f('y2.npy')]);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(existsSync(f('y2.npy'))).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
