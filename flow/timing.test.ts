/**
 * The timing estimate on small circuits whose delays we can add up by hand from the cell
 * library (cells_sim.v) and our DSP48E2 model, so a wrong derivation (a clock buffer on the
 * launch side, a missing setup, paths from ports, a DSP without delays) shows as a wrong figure.
 */
import { describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Module, emitDesign, s, u, Q } from '../hdl/index.ts';
import { buildMha } from '../generators/swiftkv/mha.ts';
import { withTempDir } from '../sim/tempdir.ts';
import { dspTile } from '../hdl/dsp.ts';
import { runTool } from '../sim/tool.ts';
import { synthDesign, type ModuleSynth } from './synth.ts';
import { timeDesign, parseSta, estimateClock, primitiveModel, staScript, MODEL_FILES, ROUTING_MODEL, type ModuleTiming } from './timing.ts';
import { runYosys } from '../sim/yosys.ts';
import { DSP48E2_PS, DS923_DSP_FMAX_MHZ } from './timing-models/dsp48e2.ts';
import { createLimiter } from './jobs.ts';

/** s = a + b (width w, wrapped), inputs and output registered. */
function registeredAdd(w: number): Module {
  const m = new Module(`tadd${w}`);
  const cd = m.clockDomain({ reset: null });
  const dom = { domain: cd, reset: null };
  const aq = m.reg('a_q', u(w), dom);
  const bq = m.reg('b_q', u(w), dom);
  const sq = m.reg('s_q', u(w), dom);
  aq.set(m.input('a', u(w)));
  bq.set(m.input('b', u(w)));
  sq.set(aq.add(bq).trunc(w));
  m.output('s', u(w)).set(sq);
  return m;
}

/**
 * A registered 27x18 multiply in the DSP tile pattern: a, b -> A/B registers -> M register ->
 * P register. With `primitive` set, parents time it as the slice it becomes.
 */
function tile(primitive: boolean): Module {
  const m = new Module(primitive ? 'tmul_tile' : 'tmul_fabric');
  const cd = m.clockDomain({ reset: null });
  const dom = { domain: cd, reset: null };
  const a1 = m.reg('a1', s(27), dom);
  const b1 = m.reg('b1', s(18), dom);
  const mq = m.reg('m', s(45), dom);
  const p = m.reg('p_q', s(45), dom);
  a1.set(m.input('a', s(27)));
  b1.set(m.input('b', s(18)));
  mq.set(a1.mul(b1));
  p.set(mq);
  m.output('p', s(45)).set(p);
  if (primitive) m.primitive = { kind: 'dsp48e2', inputsRegistered: true, outputRegistered: true, latency: 3 };
  return m;
}

/** Registers around a tile: x_q, y_q -> tile -> z_q. */
function parent(child: Module, name: string): Module {
  const m = new Module(name);
  const cd = m.clockDomain({ reset: null });
  const dom = { domain: cd, reset: null };
  const xq = m.reg('x_q', s(27), dom);
  const yq = m.reg('y_q', s(18), dom);
  const zq = m.reg('z_q', s(45), dom);
  xq.set(m.input('x', s(27)));
  yq.set(m.input('y', s(18)));
  const h = m.instance('u_mul', child, { a: xq, b: yq }, { domain: cd });
  zq.set(h.out('p'));
  m.output('z', s(45)).set(zq);
  return m;
}

async function timeOf(top: Module): Promise<Map<string, ModuleTiming>> {
  const design = emitDesign(top);
  const limit = createLimiter();
  const started = new Map<string, Promise<ModuleSynth>>();
  const synth = synthDesign(design, { limit, started: (n, p) => started.set(n, p) });
  return timeDesign(design, synth, { limit, synthJobs: started });
}

describe('sta derivation on known circuits', () => {
  // By hand from cells_sim.v: FDRE clock-to-out 303, LUT2 I0->O 238, CARRY4 S0->CO3 528,
  // CI->CO3 114 per further 4 bits, CI->O1 334 into the top bits' flip-flop (setup 0):
  // 32 bits: 303 + 238 + 528 + 6 * 114 + 334 = 2087 ps; 64 bits: + 8 * 114 = 2999 ps.
  // A clock buffer on the launch side would add 96 ps, a primary-input path would drop the
  // 303, a path to the output port would add nothing: the tolerance (15 ps) catches each.
  it('a registered 32-bit add: 2.087 ns, a 64-bit add: 2.999 ns (register to register)', async () => {
    const t32 = (await timeOf(registeredAdd(32))).get('tadd32')!;
    expect(t32.kind).toBe('reg-to-reg');
    expect(t32.worstLogicNs, JSON.stringify(t32.path)).toBeCloseTo(2.087, 1);
    expect(Math.abs(t32.worstLogicNs! - 2.087), `32-bit add: ${t32.worstLogicNs} ns`).toBeLessThan(0.015);
    expect(t32.path?.from).toMatch(/^[ab]_q\[\d+\]$/);
    expect(t32.path?.to).toMatch(/^s_q\[(29|30|31)\]$/);
    const t64 = (await timeOf(registeredAdd(64))).get('tadd64')!;
    expect(Math.abs(t64.worstLogicNs! - 2.999), `64-bit add: ${t64.worstLogicNs} ns`).toBeLessThan(0.015);
    // The routing allowance makes the estimated period 1.2 x the logic delay.
    expect(t32.estimatedMHz!).toBeCloseTo(1000 / (2.087 * 1.2), 0);
  }, 300_000);

  // Long paths from the input ports and to the output port must not count: s_q = a + b (64 bits,
  // from the ports), t_q = s_q, o = s_q + t_q (64 bits, to the port). The only path from a
  // register to a register is s_q -> t_q: a bare clock-to-out, 303 ps.
  it('paths from input ports and to output ports are left out', async () => {
    const m = new Module('tports');
    const cd = m.clockDomain({ reset: null });
    const dom = { domain: cd, reset: null };
    const sq = m.reg('s_q', u(64), dom);
    const tq = m.reg('t_q', u(64), dom);
    sq.set(m.input('a', u(64)).add(m.input('b', u(64))).trunc(64));
    tq.set(sq);
    m.output('o', u(64)).set(sq.add(tq).trunc(64));
    const t = (await timeOf(m)).get('tports')!;
    expect(t.kind).toBe('reg-to-reg');
    expect(t.worstLogicNs, JSON.stringify(t.path)).toBeCloseTo(0.303, 3);
    expect(t.path).toMatchObject({ from: expect.stringMatching(/^s_q\[\d+\]$/), to: expect.stringMatching(/^t_q\[\d+\]$/), cells: 0 });
  }, 300_000);

  // A path that starts on a register inside a grandchild, leaves it through a 64-bit add,
  // crosses the middle module's 64-bit add and ends on the top's register: the top's run sees it
  // only through the children's interface models. With the children's own figures it must give
  // the figure of a run on the whole design flattened, to the picosecond.
  it('interface models of children give the same figure as the whole design flattened', async () => {
    const leaf = new Module('tleaf');
    {
      const cd = leaf.clockDomain({ reset: null });
      const q = leaf.reg('q', u(64), { domain: cd, reset: null });
      const a = leaf.input('a', u(64));
      const b = leaf.input('b', u(64));
      q.set(a);
      leaf.output('y', u(64)).set(q.add(b).trunc(64));
      // w_q ends an input path and starts only a path inside the leaf (w_q -> v_q): its model
      // is an endpoint without clock-to-out; the leaf's own run times w_q -> v_q.
      const w = leaf.reg('w_q', u(64), { domain: cd, reset: null });
      const v = leaf.reg('v_q', u(64), { domain: cd, reset: null });
      w.set(b);
      v.set(w.add(a).trunc(64));
      leaf.output('v', u(64)).set(v);
    }
    const mid = new Module('tmid');
    {
      const cd = mid.clockDomain({ reset: null });
      const k = mid.reg('k', u(64), { domain: cd, reset: null });
      k.set(mid.input('c', u(64)));
      const y = mid.instance('u_leaf', leaf, { a: mid.input('a', u(64)), b: k }, { domain: cd }).out('y');
      mid.output('z', u(64)).set(y.add(k).trunc(64));
    }
    const top = new Module('ttop');
    const cd = top.clockDomain({ reset: null });
    const dom = { domain: cd, reset: null };
    const x = top.reg('x_q', u(64), dom);
    x.set(top.input('x', u(64)));
    const z = top.instance('u_mid', mid, { a: x, c: x }, { domain: cd }).out('z');
    const r = top.reg('r_q', u(64), dom);
    r.set(z.add(x).trunc(64));
    top.output('r', u(64)).set(r);

    const design = emitDesign(top);
    const synth = await synthDesign(design);
    const t = await timeDesign(design, synth);
    const viaModels = t.get('ttop')!;
    const flat = await runYosys(
      staScript({ top: 'ttop', clocks: ['clk'], netlists: synth.modules.map((m) => join(m.dir, 'netlist.il')), primitives: null, tiles: [], writeIlm: false }),
      'flat sta',
    );
    const whole = parseSta(flat, ['clk'])!;
    expect(viaModels.path?.module).toBe('ttop');
    expect(viaModels.worstLogicNs! * 1000).toBe(whole.arrivalPs);
    // The adds in a row (Yosys merges them into one multi-operand add) reach beyond any path
    // inside one module, from a register of the middle or leaf module.
    expect(viaModels.worstLogicNs!, JSON.stringify(viaModels.path)).toBeGreaterThan(4);
    expect(viaModels.path?.from).toMatch(/^u_mid\./);
    expect(viaModels.path?.to).toMatch(/^r_q\[\d+\]$/);
    expect(t.get('tleaf')!.path).toMatchObject({ module: 'tleaf', from: expect.stringMatching(/^w_q\[/), to: expect.stringMatching(/^v_q\[/) });
  }, 300_000);

  it('on a small SwiftKV-MHA, the figure through interface models equals the whole design flattened', async () => {
    const lane = { headDim: 16, pe: 4, maxContext: 64, rescale: 'multiply' as const, dataFormat: Q(15, 17), scoreFormat: Q(15, 17), exp2: { indexBits: 5, interpBits: 12, tableFracBits: 30 } };
    const design = emitDesign(buildMha({ lane, heads: 1, maxHeads: 32, gemv: { group: 32, maxCols: 4096 }, name: 'swiftkv_mha' }).module);
    const synth = await synthDesign(design);
    const t = (await timeDesign(design, synth)).get(design.top)!;
    const prims = design.modules.filter((m) => m.module.primitive);
    await withTempDir('flat-sta-', async (dir) => {
      const primFile = join(dir, 'primitives.v');
      await writeFile(primFile, prims.map((m) => primitiveModel(m)).join('\n'));
      const flat = await runYosys(
        staScript({
          top: design.top,
          clocks: ['clk'],
          netlists: synth.modules.filter((m) => !design.modules.find((e) => e.name === m.name)!.module.primitive).map((m) => join(m.dir, 'netlist.il')),
          primitives: prims.length ? primFile : null,
          tiles: [],
          writeIlm: false,
        }),
        'flat sta',
      );
      expect(t.worstLogicNs! * 1000, JSON.stringify(t.path)).toBe(parseSta(flat, ['clk'])!.arrivalPs);
    });
  }, 900_000);

  // Not blackboxed, the multiply is a combinational DSP48E2 between fabric registers: A/B
  // registers (303) + the model's A -> P without MREG (1838) into the M register: 2141 ps.
  // Blackboxed, the tile is the slice Vivado makes of it: x_q (303) + the input-register
  // setup (324) = 627 ps into it, P clock-to-out (329) out of it; the multiply itself is a
  // stage inside the slice, bounded by the data-sheet FMAX (775 MHz, 1.290 ns).
  it('a registered 27x18 multiply: 2.141 ns with its registers in fabric, 0.627 ns around it as a slice', async () => {
    const fabric = await timeOf(parent(tile(false), 'tpar_fabric'));
    const inFabric = fabric.get('tmul_fabric')!;
    expect(Math.abs(inFabric.worstLogicNs! - 2.141), JSON.stringify(inFabric.path)).toBeLessThan(0.015);
    expect(inFabric.path?.from).toMatch(/^[ab]1\[\d+\]$/);
    expect(inFabric.path?.to).toMatch(/^m\[\d+\]/);
    expect(Math.abs(fabric.get('tpar_fabric')!.worstLogicNs! - 2.141)).toBeLessThan(0.015);

    const sliced = await timeOf(parent(tile(true), 'tpar_tile'));
    const prim = sliced.get('tmul_tile')!;
    expect(prim.kind).toBe('primitive');
    expect(prim.estimatedMHz).toBe(DS923_DSP_FMAX_MHZ.allRegisters);
    expect(prim.worstLogicNs).toBeCloseTo(1000 / 775, 6);
    const par = sliced.get('tpar_tile')!;
    expect(Math.abs(par.worstLogicNs! - (0.303 + DSP48E2_PS.setupB / 1000)), JSON.stringify(par.path)).toBeLessThan(0.015);
    expect(par.path?.from).toMatch(/^[xy]_q\[\d+\]$/);
    expect(par.path?.to).toMatch(/^u_mul \(tmul_tile\.[ab]\)$/);
    // The slice bounds the parent's clock at the data-sheet FMAX, not the 0.627 ns around it.
    expect(par.primitiveBound?.mhz).toBe(775);
    expect(par.estimatedMHz).toBe(775);
  }, 300_000);

  it("the lead's DSP tile (hdl/dsp.ts) is timed as a slice in its parent too", async () => {
    const t = await timeOf(parent(dspTile({ a: s(27), b: s(18), pWidth: 45 }), 'tpar_dsptile'));
    const par = t.get('tpar_dsptile')!;
    expect(Math.abs(par.worstLogicNs! - (0.303 + DSP48E2_PS.setupB / 1000)), JSON.stringify(par.path)).toBeLessThan(0.015);
    expect(par.primitiveBound?.mhz).toBe(775);
  }, 300_000);
});

describe('sta log parsing', () => {
  const log = [
    '9. Executing STA pass (static timing analysis).',
    "Latest arrival time in 'dspt' is 2141:",
    '    2141 p_q[44]\\FDRE (FDRE.D)',
    '           $techmap1614$mul$dspt.v:3$2.P_48 [44]',
    '    2141 $mul$dspt.v:3$2 (DSP48E2.A->P)',
    '           \\ra [0]',
    '     303 ra[0]\\FDRE (FDRE.C->Q)',
    '       0   \\clk (<primary input>)',
    '',
    'Arrival histogram:',
  ].join('\n');
  it('reads arrival, start register, endpoint and cell count', () => {
    // The flip-flop D setup of flip-flops.v (1 ps, a tie-breaker) is taken off again.
    expect(parseSta(log, ['clk'])).toEqual({ arrivalPs: 2140, from: 'ra[0]', to: 'p_q[44]', cells: 1, deadEnd: false });
  });
  it('names an end that no timed input reads, and a start at an input port', () => {
    const dead = log.replace('    2141 p_q[44]\\FDRE (FDRE.D)', '    2141 (<unknown>)');
    expect(parseSta(dead, ['clk'])?.to).toBe('$techmap1614$mul$dspt.v:3$2.P_48[44] (no timed endpoint)');
    expect(parseSta(dead, ['clk'])?.deadEnd).toBe(true);
    expect(parseSta(log, [])?.from).toBe('clk');
    expect(parseSta('No timing paths found.', ['clk'])).toBeNull();
  });
});

describe('timing models', () => {
  it('the routing allowance: 1.2 x logic, capped at the clock tree FMAX and a primitive bound', () => {
    expect(ROUTING_MODEL.cellScale / (1 - ROUTING_MODEL.routingShare)).toBeCloseTo(1.2, 10);
    expect(estimateClock(3.5).estimatedMHz).toBeCloseTo(1000 / 4.2, 6);
    expect(estimateClock(3.5).routingAllowanceNs).toBeCloseTo(0.7, 6);
    expect(estimateClock(0.5).estimatedMHz).toBe(775);
    expect(estimateClock(1, 544).estimatedMHz).toBe(544);
  });

  it('dsp48e2.v carries the numbers of dsp48e2.ts', async () => {
    const v = await readFile(MODEL_FILES[0]!, 'utf8');
    const lp = (name: string): number => Number(new RegExp(`\\b${name} = (\\d+)`).exec(v)?.[1]);
    expect({ a: lp('SU_A'), b: lp('SU_B'), c: lp('SU_C'), d: lp('SU_D'), ctrl: lp('SU_CTRL'), p: lp('CO_P'), pc: lp('CO_PCOUT') }).toEqual({
      a: DSP48E2_PS.setupA, b: DSP48E2_PS.setupB, c: DSP48E2_PS.setupC, d: DSP48E2_PS.setupD, ctrl: DSP48E2_PS.setupCtrl, p: DSP48E2_PS.clockToP, pc: DSP48E2_PS.clockToPcout,
    });
    expect({ f: lp('T_FMAX'), n: lp('T_NOMREG'), pa: lp('T_PREADD_NOADREG'), np: lp('T_NOPIPE') }).toEqual({
      f: DSP48E2_PS.stageAllRegisters, n: DSP48E2_PS.stageMultiplyWithoutMreg, pa: DSP48E2_PS.stagePreAddWithoutAdreg, np: DSP48E2_PS.stageWithoutPipelineRegisters,
    });
    expect([DSP48E2_PS.stageAllRegisters, DSP48E2_PS.stageMultiplyWithoutMreg, DSP48E2_PS.stageWithoutPipelineRegisters]).toEqual([1290, 1838, 2439]);
  });

  it('our models declare exactly the ports and parameters of the Yosys cells they replace', async () => {
    // The installed library, wherever Yosys keeps it (its log names the file it read).
    const r = await runTool('yosys', ['-p', 'read_verilog -lib +/xilinx/cells_xtra.v'], { tool: 'yosys' });
    const xtra = /Parsing Verilog input from `(.+?cells_xtra\.v)'/.exec(r.stdout)?.[1];
    expect(xtra, r.stdout.slice(0, 2000)).toBeDefined();
    const lib = (await readFile(join(dirname(xtra!), 'cells_sim.v'), 'utf8')) + (await readFile(xtra!, 'utf8'));
    const decls = (text: string, mod: string): string[] => {
      const m = new RegExp(`^module ${mod}\\b[\\s\\S]*?^endmodule`, 'm').exec(text);
      if (!m) throw new Error(`module ${mod} not found`);
      const body = m[0].replace(/\/\/.*$/gm, '').replace(/\(\*.*?\*\)/g, '');
      const out: string[] = [];
      for (const d of body.matchAll(/\b(input|output|parameter)\b\s*(?:reg|wire|integer)?\s*(\[[^\]]+\])?\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)/g)) {
        for (const n of d[3]!.split(',')) out.push(`${d[1]} ${(d[2] ?? '').replace(/\s/g, '')} ${n.trim()}`);
      }
      return out.filter((x) => !/^parameter \S* (SU_|CO_|T_|MULT|PRE)/.test(x)).sort();
    };
    const ours = (await Promise.all(MODEL_FILES.map((f) => readFile(f, 'utf8')))).join('\n');
    for (const mod of ['DSP48E2', 'MUXF9', 'RAM32M16', 'RAM64M8', 'RAMB18E2', 'RAMB36E2', 'FDRE', 'FDSE', 'FDCE', 'FDPE']) {
      expect(decls(ours, mod), mod).toEqual(decls(lib, mod));
    }
  });

  it('a tile without registers is a combinational slice; with them, setup and clock-to-out', () => {
    const reg = primitiveModel(emitDesign(tile(true)).modules[0]!);
    expect(reg).toContain(`$setup(a, posedge clk, ${DSP48E2_PS.setupB});`);
    expect(reg).toContain(`(posedge clk => (p : 45'bx)) = ${DSP48E2_PS.clockToP};`);
    const comb = tile(true);
    comb.primitive = { kind: 'dsp48e2', inputsRegistered: false, outputRegistered: false, latency: 0 };
    const text = primitiveModel(emitDesign(comb).modules[0]!);
    expect(text).toContain(`(a *> p) = ${DSP48E2_PS.stageMultiplyWithoutMreg};`);
    expect(text).not.toContain('$setup');
  });
});

