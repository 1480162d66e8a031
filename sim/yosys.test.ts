/** Resource classification of Yosys cell counts. */
import { describe, expect, it } from 'vitest';
import { classify, parseStat } from './yosys.ts';

describe('classify', () => {
  it('counts every block RAM (a RAMB18 is half a RAMB36) and every other cell kind', () => {
    const r = classify({ RAMB36E2: 3, RAMB18E2: 3, LUT6: 2, LUT6_2: 1, FDRE: 4, FDSE: 1, DSP48E2: 2, RAM32M16: 5, URAM288: 1, LDCE: 1, CARRY4: 9 });
    expect({ bram: r.bram, lut: r.lut, ff: r.ff, dsp: r.dsp, lutram: r.lutram, uram: r.uram, latches: r.latches }).toEqual({
      bram: 4.5, lut: 3, ff: 5, dsp: 2, lutram: 5, uram: 1, latches: 1,
    });
  });

  it('reads per-module cell tables and the hierarchy total from stat', () => {
    const log = [
      'Printing statistics.',
      '',
      '=== leaf ===',
      '',
      '   Number of cells:                  3',
      '     FDRE                            2',
      '     LUT2                            1',
      '',
      '=== design hierarchy ===',
      '',
      '   top                               1',
      '     leaf                            2',
      '',
      '   Number of cells:                  7',
      '     FDRE                            4',
      '     LUT2                            3',
      '',
    ].join('\n');
    const { modules, total } = parseStat(log);
    expect(modules.leaf!.cells).toEqual({ FDRE: 2, LUT2: 1 });
    expect(total.ff).toBe(4);
    expect(total.lut).toBe(3);
  });
});
