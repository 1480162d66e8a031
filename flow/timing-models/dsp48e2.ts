/**
 * DSP48E2 timing figures, shared by the Yosys cell model (dsp48e2.v, the slices Yosys maps)
 * and the models of the DSL's DSP tile primitives (flow/timing.ts). Sources and reasoning are
 * in the header of dsp48e2.v; a test checks that both files carry the same numbers.
 *
 * AMD DS923 v1.20, "DSP48 Slice Switching Characteristics", Virtex UltraScale+, speed grade -2
 * at VCCINT 0.85 V. The Alveo U55C's part is xcu55c-fsvh2892-2L-e; we assume it runs at 0.85 V,
 * where the data sheets give L devices the speed of their grade (at 0.72 V the same DS923 table
 * gives 644 / 440 / 323 MHz instead of 775 / 544 / 410).
 */
export const DS923_DSP_FMAX_MHZ = {
  /** FMAX: with all registers used. */
  allRegisters: 775,
  /** FMAX_MULT_NOMREG: two-register multiply without MREG. */
  multiplyWithoutMreg: 544,
  /** FMAX_PREADD_NOADREG: without ADREG. */
  preAddWithoutAdreg: 565,
  /** FMAX_NOPIPELINEREG: without pipeline registers (MREG, ADREG). */
  withoutPipelineRegisters: 410,
} as const;

/**
 * Maximum frequency of a global clock tree (BUFG), speed grade -2 at 0.85 V: 775 MHz in every
 * UltraScale+ data sheet (DS922, DS925, DS930, DS931 "Clock Buffers Switching Characteristics").
 * No estimate of ours goes above it.
 */
export const CLOCK_TREE_FMAX_MHZ = 775;

/** One register-to-register stage inside the slice, in ps, at a data-sheet FMAX. */
export function stagePs(mhz: number): number {
  return Math.round(1e6 / mhz);
}

/** The numbers the models use, in ps (see dsp48e2.v for where each comes from). */
export const DSP48E2_PS = {
  /** Setup at the slice's input registers (7-series DSP48E1 figures of the Yosys library). */
  setupA: 254,
  setupB: 324,
  setupC: 168,
  setupD: 248,
  /** Control pins at their registers: assumed equal to the B setup. */
  setupCtrl: 324,
  /** Clock to P and PCOUT from the P register (DSP48E1 figures of the Yosys library). */
  clockToP: 329,
  clockToPcout: 435,
  stageAllRegisters: stagePs(DS923_DSP_FMAX_MHZ.allRegisters),
  stageMultiplyWithoutMreg: stagePs(DS923_DSP_FMAX_MHZ.multiplyWithoutMreg),
  stagePreAddWithoutAdreg: stagePs(DS923_DSP_FMAX_MHZ.preAddWithoutAdreg),
  stageWithoutPipelineRegisters: stagePs(DS923_DSP_FMAX_MHZ.withoutPipelineRegisters),
} as const;
