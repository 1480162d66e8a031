/** U55C fit: the share per resource and the refusal text. */
import { describe, expect, it } from 'vitest';
import { overfitProblem, u55cFit, U55C } from './figures.ts';

describe('U55C fit', () => {
  it('states the share of every resource and names each one over 100%', () => {
    const fits = u55cFit({ dsp: 4512, lut: 1_400_000, ff: 100, bram: 2016, uram: 961 });
    expect(fits.map((f) => [f.resource, f.used, f.available])).toEqual([
      ['dsp', 4512, U55C.dsp], ['lut', 1_400_000, U55C.lut], ['ff', 100, U55C.ff], ['bram36', 2016, U55C.bram36], ['uram', 961, U55C.uram],
    ]);
    expect(fits[0]!.share).toBe(0.5);
    expect(overfitProblem(fits)).toBe('the design does not fit an Alveo U55C: lut 1400000 of 1303680 (107.4%), uram 961 of 960 (100.1%)');
  });

  it('says nothing for a design that fits, even at exactly 100%', () => {
    expect(overfitProblem(u55cFit({ dsp: 9024, lut: 1, ff: 1, bram: 0, uram: 960 }))).toBeUndefined();
  });
});
