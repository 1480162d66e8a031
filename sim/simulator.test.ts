import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SimulatorFailedError,
  SimulatorMissingError,
  SimulatorTimeoutError,
  buildSimulation,
  type SimBuild,
  type SimulatorName,
} from './simulator.ts';
import { lintVerilog } from './verilator.ts';
import { iverilogLint } from './icarus.ts';
import { readVectorFile, toSigned, toUnsigned, writeVectorFile, type ParseVectorOptions } from '../testbenches/vectors.ts';
import { renderVectorTestbench, vectorFields, type VectorTbOptions } from '../testbenches/render.ts';

// Verilator C++ builds take a few seconds each (the first one ~10 s on 2 cores).
const SLOW = { timeout: 120_000 };

// ---------------------------------------------------------------------------
// DUTs (file names match module names so that `verilator -Wall` is clean)

const ACC_ADD = `// 8-bit registered adder with synchronous reset and a combinational carry.
module acc_add (
  input  wire       clk,
  input  wire       rst,
  input  wire [7:0] a,
  input  wire [7:0] b,
  output reg  [7:0] sum_q,
  output wire       carry
);
  wire [8:0] full = {1'b0, a} + {1'b0, b};
  always @(posedge clk) begin
    if (rst) sum_q <= 8'd0;
    else     sum_q <= full[7:0];
  end
  assign carry = full[8];
endmodule
`;

const WIDE_OP = `// Purely combinational 70-bit operations.
module wide_op (
  input  wire signed [69:0] a,
  input  wire signed [69:0] b,
  input  wire        [6:0]  sh,
  output wire        [69:0] sum,
  output wire        [69:0] mix,
  output wire signed [70:0] diff,
  output wire               lt
);
  assign sum  = a + b;
  assign mix  = (a ^ {b[34:0], b[69:35]}) >> sh;
  assign diff = {a[69], a} - {b[69], b};
  assign lt   = a < b;
endmodule
`;

const COUNTER = `// Free-running counter: no data inputs.
module counter (
  input  wire       clk,
  output reg  [3:0] count
);
  initial count = 4'd0;
  always @(posedge clk) count <= count + 4'd1;
endmodule
`;

const ACC_TB: VectorTbOptions = {
  tbName: 'acc_add_tb',
  dutModule: 'acc_add',
  clock: 'clk',
  ports: [
    { name: 'clk', direction: 'input', width: 1, signed: false },
    { name: 'rst', direction: 'input', width: 1, signed: false },
    { name: 'a', direction: 'input', width: 8, signed: false },
    { name: 'b', direction: 'input', width: 8, signed: false },
    { name: 'sum_q', direction: 'output', width: 8, signed: false },
    { name: 'carry', direction: 'output', width: 1, signed: false },
  ],
};

const WIDE_TB: VectorTbOptions = {
  tbName: 'wide_op_tb',
  dutModule: 'wide_op',
  ports: [
    { name: 'a', direction: 'input', width: 70, signed: true },
    { name: 'b', direction: 'input', width: 70, signed: true },
    { name: 'sh', direction: 'input', width: 7, signed: false },
    { name: 'sum', direction: 'output', width: 70, signed: false },
    { name: 'mix', direction: 'output', width: 70, signed: false },
    { name: 'diff', direction: 'output', width: 71, signed: true },
    { name: 'lt', direction: 'output', width: 1, signed: false },
  ],
};

const COUNTER_TB: VectorTbOptions = {
  tbName: 'counter_tb',
  dutModule: 'counter',
  clock: 'clk',
  ports: [
    { name: 'clk', direction: 'input', width: 1, signed: false },
    { name: 'count', direction: 'output', width: 4, signed: false },
  ],
};

// ---------------------------------------------------------------------------
// Reference models

/** Deterministic PRNG (xorshift64*) producing bigints. */
function rng(seed: bigint): (bits: number) => bigint {
  let s = seed;
  return (bits) => {
    let out = 0n;
    for (let got = 0; got < bits; got += 32) {
      s ^= s >> 12n;
      s ^= (s << 25n) & 0xffffffffffffffffn;
      s ^= s >> 27n;
      out = (out << 32n) | (((s * 0x2545f4914f6cdd1dn) >> 32n) & 0xffffffffn);
    }
    return out & ((1n << BigInt(bits)) - 1n);
  };
}

function accVectors(): { inputs: bigint[][]; expected: bigint[][] } {
  const r = rng(0x1234n);
  const inputs: bigint[][] = [[1n, 0n, 0n]]; // reset first
  for (let i = 0; i < 40; i++) inputs.push([i === 20 ? 1n : 0n, r(8), r(8)]);
  inputs.push([0n, 0xffn, 0x01n], [0n, 0x80n, 0x80n], [0n, 0n, 0n]);
  const expected: bigint[][] = [];
  let state: bigint | undefined;
  for (const [rst, a, b] of inputs as [bigint, bigint, bigint][]) {
    const full = a + b;
    expected.push([state ?? -1n, full >> 8n]); // -1: unknown before the first edge
    state = rst === 1n ? 0n : full & 0xffn;
  }
  return { inputs, expected };
}

function wideVectors(): { inputs: bigint[][]; expected: bigint[][] } {
  const W = 70n;
  const M = (1n << W) - 1n;
  const r = rng(0xfeedn);
  const inputs: bigint[][] = [
    [0n, 0n, 0n],
    [-1n, 1n, 0n],
    [-(1n << 69n), (1n << 69n) - 1n, 69n],
    [(1n << 69n) - 1n, -(1n << 69n), 70n],
  ];
  for (let i = 0; i < 30; i++) inputs.push([toSigned(r(70), 70), toSigned(r(70), 70), r(7)]);
  const expected = inputs.map(([a, b, sh]) => {
    const ua = toUnsigned(a as bigint, 70);
    const ub = toUnsigned(b as bigint, 70);
    const rot = ((ub & ((1n << 35n) - 1n)) << 35n) | (ub >> 35n);
    return [
      (ua + ub) & M,
      (ua ^ rot) >> (sh as bigint), // a shift >= 70 gives 0
      toUnsigned((a as bigint) - (b as bigint), 71),
      (a as bigint) < (b as bigint) ? 1n : 0n,
    ];
  });
  return { inputs, expected };
}

// ---------------------------------------------------------------------------
// Harness

let work: string;
let tmpCache: string;
const sims: SimulatorName[] = ['icarus', 'verilator'];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sim-test-'));
  tmpCache = join(work, 'cache');
  for (const [name, text] of [
    ['acc_add', ACC_ADD],
    ['wide_op', WIDE_OP],
    ['counter', COUNTER],
  ] as const) {
    await writeFile(join(work, `${name}.v`), text);
  }
  for (const tb of [ACC_TB, WIDE_TB, COUNTER_TB]) {
    await writeFile(join(work, `${tb.tbName}.v`), renderVectorTestbench(tb));
  }
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const builds = new Map<string, Promise<SimBuild>>();

/** Build (default project cache, so reruns are fast) a DUT + its vector testbench. */
function buildTb(simulator: SimulatorName, tb: VectorTbOptions): Promise<SimBuild> {
  const key = `${simulator}/${tb.tbName}`;
  let b = builds.get(key);
  if (!b) {
    b = buildSimulation({
      simulator,
      top: tb.tbName,
      sources: [join(work, `${tb.dutModule}.v`), join(work, `${tb.tbName}.v`)],
    });
    builds.set(key, b);
  }
  return b;
}

let runId = 0;

async function simulate(
  simulator: SimulatorName,
  tb: VectorTbOptions,
  inputs: bigint[][],
  opts: { read?: ParseVectorOptions; plusargs?: Record<string, string | number>; waves?: string; randomReset?: boolean; seed?: number } = {},
): Promise<bigint[][]> {
  const build = await buildTb(simulator, tb);
  const fields = vectorFields(tb);
  const id = `${simulator}-${tb.tbName}-${runId++}`;
  const inFile = join(work, `${id}.in`);
  const outFile = join(work, `${id}.out`);
  await writeVectorFile(inFile, fields.inputs, inputs);
  const res = await build.run({
    plusargs: { in: inFile, out: outFile, ...opts.plusargs },
    ...(opts.waves !== undefined ? { waves: opts.waves } : {}),
    ...(opts.randomReset !== undefined ? { randomReset: opts.randomReset } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  });
  expect(res.exitCode, `${res.command}\n${res.stdout}\n${res.stderr}`).toBe(0);
  expect(res.stdout).toContain(`${tb.tbName}: `);
  return readVectorFile(outFile, fields.outputs, opts.read ?? {});
}

/** Compare, treating expected -1n as "don't care". */
function expectOutputs(actual: bigint[][], expected: bigint[][]): void {
  expect(actual.length).toBe(expected.length);
  const masked = actual.map((row, i) => row.map((v, j) => ((expected[i] as bigint[])[j] === -1n ? -1n : v)));
  expect(masked).toEqual(expected);
}

// ---------------------------------------------------------------------------

describe.each(sims)('%s', (simulator) => {
  it('simulates an 8-bit registered adder with synchronous reset', SLOW, async () => {
    const { inputs, expected } = accVectors();
    // Icarus prints x for sum_q before the first clock edge.
    const out = await simulate(simulator, ACC_TB, inputs, { read: { allowUnknown: (cycle) => cycle === 0 } });
    expectOutputs(out, expected);
  });

  it('simulates a purely combinational 70-bit DUT with signed ports', SLOW, async () => {
    const { inputs, expected } = wideVectors();
    expectOutputs(await simulate(simulator, WIDE_TB, inputs), expected);
  });

  it('honours +cycles and drives a DUT without data inputs', SLOW, async () => {
    const out = await simulate(simulator, COUNTER_TB, Array.from({ length: 20 }, () => []));
    expect(out.map(([c]) => c)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i % 16)));
    const { inputs, expected } = accVectors();
    const short = await simulate(simulator, ACC_TB, inputs, {
      plusargs: { cycles: 5 },
      read: { allowUnknown: (cycle) => cycle === 0 },
    });
    expectOutputs(short, expected.slice(0, 5));
  });

  it('caches builds', SLOW, async () => {
    const first = await buildTb(simulator, WIDE_TB);
    const again = await buildSimulation({
      simulator,
      top: WIDE_TB.tbName,
      sources: [join(work, 'wide_op.v'), join(work, 'wide_op_tb.v')],
    });
    expect(again.cached).toBe(true);
    expect(again.hash).toBe(first.hash);
    expect(again.dir).toBe(first.dir);
    expect(again.dir).toMatch(new RegExp(`${simulator}-wide_op_tb-[0-9a-f]{16}$`));
    if (simulator !== 'icarus') return; // (avoid another slow Verilator build)
    // A define changes the key.
    const other = await buildSimulation({
      simulator,
      top: WIDE_TB.tbName,
      sources: [join(work, 'wide_op.v'), join(work, 'wide_op_tb.v')],
      defines: { UNUSED_DEFINE: 1 },
      cacheRoot: tmpCache,
    });
    expect(other.hash).not.toBe(first.hash);
  });

  it('writes waves with +waves=', SLOW, async () => {
    const { inputs } = accVectors();
    for (const ext of simulator === 'icarus' ? ['vcd', 'fst'] : ['fst']) {
      const waves = join(work, 'waves', `${simulator}.${ext}`);
      await simulate(simulator, ACC_TB, inputs.slice(0, 5), { waves, read: { allowUnknown: true } });
      const st = await stat(waves);
      expect(st.size).toBeGreaterThan(100);
      if (ext === 'vcd') {
        const text = await readFile(waves, 'utf8');
        expect(text).toContain('$enddefinitions');
        expect(text).toMatch(/\$var \w+\s+8 \S+ sum_q/);
      }
    }
  });

  it('fails the run (non-zero exit) on malformed input vectors', SLOW, async () => {
    const build = await buildTb(simulator, ACC_TB);
    const inFile = join(work, `${simulator}-bad.in`);
    await writeFile(inFile, '1 00 00\n1 00\n');
    const res = await build.run({ plusargs: { in: inFile, out: join(work, `${simulator}-bad.out`) } });
    expect(res.exitCode).not.toBe(0);
    expect(res.stdout + res.stderr).toContain('line 2: missing field b (8 bits)');
  });

  it('raises SimulatorFailedError with the tool output on a syntax error', SLOW, async () => {
    const bad = join(work, `bad_${simulator}.v`);
    await writeFile(bad, 'module bad_dut(input wire a, output wire y);\n  assign y = a +;\nendmodule\n');
    const err = await buildSimulation({ simulator, top: 'bad_dut', sources: [bad], cacheRoot: tmpCache }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SimulatorFailedError);
    const e = err as SimulatorFailedError;
    expect(e.message).toContain(`bad_${simulator}.v`);
    expect(e.message.toLowerCase()).toContain('syntax error');
    expect(e.message).toContain(simulator === 'icarus' ? 'iverilog' : 'verilator');
    expect(e.exitCode).not.toBe(0);
    // A failed build leaves nothing behind.
    const entries = await readdir(tmpCache).catch(() => [] as string[]);
    expect(entries.filter((n) => n.includes('bad_dut'))).toEqual([]);
  });
});

describe('verilator specifics', () => {
  it('randomizes uninitialized state with randomReset, reproducibly per seed', SLOW, async () => {
    const { inputs, expected } = accVectors();
    const firstQ = new Set<bigint>();
    for (const seed of [1, 2, 3, 4, 5]) {
      const a = await simulate('verilator', ACC_TB, inputs.slice(0, 6), { randomReset: true, seed });
      const b = await simulate('verilator', ACC_TB, inputs.slice(0, 6), { randomReset: true, seed });
      expect(a).toEqual(b);
      expectOutputs(a, expected.slice(0, 6));
      firstQ.add((a[0] as bigint[])[0] as bigint);
    }
    expect(firstQ.size).toBeGreaterThan(1);
  });

  it('returns the seed it picked for randomReset without a seed', SLOW, async () => {
    const build = await buildTb('verilator', ACC_TB);
    const inFile = join(work, 'seed.in');
    await writeVectorFile(inFile, vectorFields(ACC_TB).inputs, [[1n, 0n, 0n]]);
    const res = await build.run({ plusargs: { in: inFile, out: join(work, 'seed.out') }, randomReset: true });
    expect(res.exitCode).toBe(0);
    expect(res.seed).toBeGreaterThan(0);
    expect(res.command).toContain(`+verilator+seed+${res.seed}`);
    expect(res.command).toContain('+verilator+rand+reset+2');
  });
});

describe('missing tools', () => {
  it('raises SimulatorMissingError for an unknown executable', async () => {
    const src = join(work, 'wide_op.v');
    const err = await buildSimulation({
      simulator: 'verilator',
      top: 'wide_op',
      sources: [src],
      cacheRoot: tmpCache,
      tools: { verilator: join(work, 'no-such-verilator') },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimulatorMissingError);
    expect((err as Error).message).toContain('apt-get install -y verilator');
    expect((err as Error).message).toContain('make deps');
  });

  it('raises SimulatorMissingError when the simulator is not on PATH', async () => {
    const oldPath = process.env.PATH;
    process.env.PATH = join(work, 'empty-bin');
    try {
      const err = await buildSimulation({
        simulator: 'icarus',
        top: 'wide_op',
        sources: [join(work, 'wide_op.v')],
        cacheRoot: tmpCache,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SimulatorMissingError);
      expect((err as SimulatorMissingError).tool).toBe('iverilog');
      expect((err as Error).message).toContain('apt-get install -y iverilog');
      await expect(iverilogLint([join(work, 'wide_op.v')], 'wide_op')).rejects.toBeInstanceOf(SimulatorMissingError);
      await expect(lintVerilog([join(work, 'wide_op.v')], 'wide_op')).rejects.toBeInstanceOf(SimulatorMissingError);
    } finally {
      process.env.PATH = oldPath;
    }
  });
});

describe('icarus specifics', () => {
  it('builds once into a fresh cache, then reports cached', async () => {
    const root = join(work, 'fresh-cache');
    const req = { simulator: 'icarus' as const, top: 'wide_op', sources: [join(work, 'wide_op.v')], cacheRoot: root };
    const [a, b] = await Promise.all([buildSimulation(req), buildSimulation(req)]);
    expect(a.dir).toBe(b.dir);
    expect(a.cached).toBe(false);
    const c = await buildSimulation(req);
    expect(c.cached).toBe(true);
    const entries = await readdir(root);
    expect(entries.filter((n) => n.startsWith('.tmp-') || n.endsWith('.lock'))).toEqual([]);
    expect(JSON.parse(await readFile(join(c.dir, 'build.json'), 'utf8'))).toMatchObject({ top: 'wide_op', simulator: 'icarus' });
  });

  it('times out hanging simulations', async () => {
    const hang = join(work, 'hang.v');
    await writeFile(hang, 'module hang;\n  reg clk;\n  initial clk = 0;\n  always #1 clk = ~clk;\nendmodule\n');
    const build = await buildSimulation({ simulator: 'icarus', top: 'hang', sources: [hang], cacheRoot: tmpCache });
    await expect(build.run({ timeoutMs: 300 })).rejects.toBeInstanceOf(SimulatorTimeoutError);
  });
});

describe('lint', () => {
  it('accepts clean DUTs and reports warnings', SLOW, async () => {
    for (const name of ['acc_add', 'wide_op', 'counter']) {
      const v = await lintVerilog([join(work, `${name}.v`)], name);
      expect(v, v.output).toEqual({ ok: true, output: '' });
      const i = await iverilogLint([join(work, `${name}.v`)], name);
      expect(i, i.output).toEqual({ ok: true, output: '' });
    }
    const sloppy = join(work, 'sloppy.v');
    await writeFile(
      sloppy,
      'module sloppy(input wire [7:0] a, output wire [3:0] y);\n  wire [7:0] t;\n  sub u(.x(a), .y(t));\n  assign y = t;\nendmodule\n' +
        'module sub(input wire [3:0] x, output wire [7:0] y);\n  assign y = {x, x};\nendmodule\n',
    );
    const v = await lintVerilog([sloppy], 'sloppy');
    expect(v.ok).toBe(false);
    expect(v.output).toContain('%Warning-WIDTH');
    const i = await iverilogLint([sloppy], 'sloppy');
    expect(i.ok).toBe(false);
    expect(i.output).toContain('expects 4 bits, got 8');
  });
});

describe('modules', () => {
  it('load in any order under native ESM (no import cycle between the drivers)', SLOW, async () => {
    for (const mod of ['verilator.ts', 'icarus.ts', 'simulator.ts', 'tool.ts', 'yosys.ts']) {
      const url = new URL(`./${mod}`, import.meta.url).href;
      const r = await execa('node', ['--import', 'tsx', '--input-type=module', '-e', `await import(${JSON.stringify(url)});`], {
        reject: false,
        cwd: fileURLToPath(new URL('..', import.meta.url)),
      });
      expect(r.exitCode, `${mod}: ${r.stderr}`).toBe(0);
    }
  });
});

describe('renderVectorTestbench', () => {
  it('validates the port spec', () => {
    const base = ACC_TB;
    expect(() => renderVectorTestbench({ ...base, clock: 'nope' })).toThrow(/clock 'nope' is not a port/);
    expect(() => renderVectorTestbench({ ...base, clock: 'a' })).toThrow(/must be a 1-bit input/);
    expect(() =>
      renderVectorTestbench({ ...base, ports: [...base.ports, { name: 'tb_cycle', direction: 'input', width: 1, signed: false }] }),
    ).toThrow(/clashes/);
    expect(() =>
      renderVectorTestbench({ ...base, ports: [...base.ports, { name: 'tb_in_a', direction: 'output', width: 1, signed: false }] }),
    ).toThrow(/staging register/);
    expect(() =>
      renderVectorTestbench({ ...base, ports: [...base.ports, { name: '1x', direction: 'input', width: 1, signed: false }] }),
    ).toThrow(/not a legal Verilog identifier/);
    expect(() =>
      renderVectorTestbench({ ...base, ports: [...base.ports, { name: 'logic', direction: 'input', width: 1, signed: false }] }),
    ).toThrow(/keyword/);
    expect(() => renderVectorTestbench({ ...base, ports: [...base.ports, base.ports[1]!] })).toThrow(/duplicate/);
  });

  it('lists the vector fields in port order, without the clock', () => {
    expect(vectorFields(ACC_TB)).toEqual({
      inputs: [
        { name: 'rst', width: 1 },
        { name: 'a', width: 8 },
        { name: 'b', width: 8 },
      ],
      outputs: [
        { name: 'sum_q', width: 8 },
        { name: 'carry', width: 1 },
      ],
    });
    const text = renderVectorTestbench(WIDE_TB);
    expect(text).toContain('reg signed [69:0] a;');
    expect(text).toContain('$fwrite(tb_fd_out, "%h %h %h %h\\n", sum, mix, diff, lt);');
    expect(text).not.toContain('{{');
  });
});
