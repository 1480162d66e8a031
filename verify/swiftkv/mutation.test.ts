/**
 * Mutation checks: the emitted RTL is broken on purpose in small ways, and the regression that
 * owns each part must notice, for the documented reason: the lane regression (lane.regress.ts
 * runCase: o, o_tuser, status, cycles against laneCycles) and the MHA regression (mha.regress.ts
 * runCaseRtl: o, y, status_error in every cycle, rejected jobs, cycles). A regression that
 * passed a mutant could not fail for that fault. Mutants run on Icarus (a build takes seconds);
 * the text each one replaces must exist in the emitted module (applyMutation throws otherwise).
 * Equivalent mutants (e.g. `>` vs `>=` in the running max, where a tie gives alpha = beta = 1
 * either way) are deliberately not used.
 */
import { describe, expect, it } from 'vitest';
import { emitDesign, type Module } from '../../hdl/index.ts';
import { buildLane } from '../../generators/swiftkv/lane.ts';
import type { Mutate } from '../harness.ts';
import { runCase, laneParamsOf, type RegressCase } from './lane.regress.ts';
import { runCaseRtl, PARAMS_A, type MhaCase } from './mha.regress.ts';
import { mhaGeometry } from './mha.driver.ts';

/** The emitted name of the module of `top` whose name starts with `prefix` (names carry a content hash). */
function emittedName(top: Module, prefix: string): string {
  const names = emitDesign(top).modules.map((m) => m.name).filter((n) => n === prefix || n.startsWith(`${prefix}_`));
  if (names.length !== 1) throw new Error(`mutation target: ${names.length} modules named ${prefix}* in ${top.name} (${names.join(', ')}), expected one`);
  return names[0]!;
}

interface Mutant {
  /** What is broken, and which check must see it. */
  what: string;
  mutation: (top: Module) => Mutate;
  /** A line of the regression's report that the mutant must produce. */
  expect: RegExp;
}

// ---- the lane regression ---------------------------------------------------------------------

const laneCase: RegressCase = {
  d: 16, P: 4, rescale: 'multiply', format: 'Q15.17', simulator: 'icarus', seed: 4242, vprob: 100, rprob: 100,
  jobs: [{ L: 1, heads: 1 }, { L: 17, heads: 3 }, { L: 40, heads: 2 }],
};

const laneMutants: Mutant[] = [
  {
    what: "a running max that keeps the old max on a head's first token ('max-first'): o differs",
    mutation: (top) => ({ name: 'max-first', module: emittedName(top, 'swiftkv_maxexp_mul'), from: 'assign m_next_sel = m_next_bits ? s : m;', to: 'assign m_next_sel = m_next_bits ? m : s;' }),
    // Icarus: the first token then compares with a never-written m, so o may come out unknown.
    expect: /o\[\d+\] = -?\d+ but golden|lane output has unknown bits/,
  },
  {
    what: "o element 0 truncated instead of rounded to nearest even ('o-round'): o differs",
    mutation: (top) => ({ name: 'o-round', module: emittedName(top, 'swiftkv_norm_d16_p4'), from: 'o0_up_s7 <= o0_shifted_s6[36] & ((|o0_shifted_s6[35:0]) | o0_shifted_s6[37]);', to: "o0_up_s7 <= 1'b0;" }),
    expect: /o\[\d+\] = -?\d+ but golden/,
  },
  {
    what: "the kv input slice ready only when empty ('kv-slice-slow'): data exact, cycles above laneCycles",
    mutation: () => ({
      name: 'kv-slice-slow',
      module: 'skid_w256_l_f',
      from: 'assign skid_next_empty = out_valid_q_next_or ? (~(skid_valid & out_valid_q_next_and)) : ((~skid_valid) & (~out_valid_q_next_and));',
      to: 'assign skid_next_empty = (~skid_valid) & (~out_valid_q) & (~out_valid_q_next_and);',
    }),
    expect: /\d+ cycles but laneCycles gives \d+/,
  },
];

describe('mutation checks: the lane regression (Icarus)', () => {
  const top = buildLane(laneParamsOf(laneCase), { maxHeads: 16 }).module;
  it('the unmutated case passes (so a failure below is the mutant\'s)', async () => {
    const r = await runCase(laneCase);
    expect(r.failure ?? '').toBe('');
  }, 600_000);
  for (const m of laneMutants) {
    it(m.what, async () => {
      const r = await runCase({ ...laneCase, mutation: m.mutation(top) });
      expect(r.ok, `mutant ${m.mutation(top).name} passed the lane regression`).toBe(false);
      expect(r.failure ?? '').toMatch(m.expect);
    }, 600_000);
  }
});

// ---- the MHA regression ----------------------------------------------------------------------

/** Small: a rejected job of each mode with its beats offered, a misplaced kv_tlast, good jobs after each. */
const mhaCase: MhaCase = {
  label: 'mutation',
  params: PARAMS_A,
  seed: 515,
  vprob: 100,
  rprob: 100,
  jobs: [
    { kind: 'bad', bad: 'cfg_len = 0' },
    { kind: 'attention', nHeads: 2, L: 3 },
    { kind: 'bad', bad: 'cfg_cols = 0' },
    { kind: 'gemv', int4: false, M: 20, N: 16 },
    { kind: 'bad', bad: 'misplaced kv_tlast' },
    { kind: 'attention', nHeads: 1, L: 4 },
    { kind: 'gemv', int4: true, M: 9, N: 8 },
  ],
};

const mhaMutants: Mutant[] = [
  {
    what: "status_error counts a lane this job did not start ('status-leak', issue 7): status_error = 1 during a good job",
    mutation: (top) => ({ name: 'status-leak', module: top.name, from: '(lane1_used & u_lane1_status_error)', to: 'u_lane1_status_error' }),
    expect: /status_error = 1 in \d+ of the \d+ cycles after start/,
  },
  {
    what: "lane 0 not flushed on a rejected attention start ('lane-flush-off'): the next attention job reads the stale beats",
    mutation: (top) => ({ name: 'lane-flush-off', module: top.name, from: 'assign u_lane0_flush = attn_start & (~cfg_ok);', to: "assign u_lane0_flush = 1'b0;" }),
    expect: /job 1 attn\(2h,L3\): .*(o\[\d+\]|status_error)/,
  },
  {
    what: "the x slice not flushed on a rejected GEMV start ('x-flush-off'): the next GEMV job reads a stale x beat",
    mutation: (top) => ({ name: 'x-flush-off', module: top.name, from: '.out_tdata(u_x_skid_out_tdata),\n    .flush(gemv_reject)', to: ".out_tdata(u_x_skid_out_tdata),\n    .flush(1'b0)" }),
    expect: /job 3 gemv\(int8,20x16\): row \d+ .*but golden/,
  },
  {
    what: "GEMV x read one column early ('x-ahead'): y differs",
    mutation: (top) => ({ name: 'x-ahead', module: top.name, from: "x_ahead <= 7'd3;", to: "x_ahead <= 7'd2;" }),
    expect: /gemv.*: row \d+ .*but golden/,
  },
  {
    what: "the lane's kv_tlast check removed ('kv-tlast-unchecked'): a misplaced kv_tlast leaves status_error 0",
    mutation: (top) => ({ name: 'kv-tlast-unchecked', module: emittedName(top, 'swiftkv_lane_d16_p4_mul'), from: 'if (kv_in_last != kv_beat_next_eq) begin', to: "if (1'b0) begin" }),
    expect: /misplaced tlast: status_error = 0 at done, expected 1/,
  },
];

async function mhaProblems(mutation?: Mutate): Promise<string[]> {
  try {
    return (await runCaseRtl(mhaCase, 'icarus', mutation)).problems;
  } catch (e) {
    return [e instanceof Error ? e.message : String(e)]; // a hang or a crash is a failure too
  }
}

describe('mutation checks: the MHA regression (Icarus)', () => {
  const top = mhaGeometry(PARAMS_A).module;
  it('the unmutated case passes (so a failure below is the mutant\'s)', async () => {
    expect(await mhaProblems()).toEqual([]);
  }, 600_000);
  for (const m of mhaMutants) {
    it(m.what, async () => {
      const mutation = m.mutation(top);
      const problems = await mhaProblems(mutation);
      expect(problems.length, `mutant ${mutation.name} passed the MHA regression`).toBeGreaterThan(0);
      expect(problems.join('\n')).toMatch(m.expect);
    }, 600_000);
  }
});
