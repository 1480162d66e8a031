import { describe, it, expect } from 'vitest';
import { runScript } from '../verify/run-script.ts';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { emitDesign } from '../hdl/index.ts';
import { resolveKernel } from '../generators/kernel/config.ts';
import { buildKernel } from '../generators/kernel/kernel.ts';
import { kernelXml, packageXoTcl, synthOocTcl, checkHandoff, xmlProblems, U55C_PART } from './kernel-handoff.ts';

const config = resolveKernel({ mha: { lane: { headDim: 16, pe: 4 }, heads: 2, maxHeads: 8, gemv: { group: 32, maxCols: 256 } }, dataBits: 256 });
const { module, map } = buildKernel(config);
const sources = emitDesign(module).modules.map((m) => m.fileName);
const xml = kernelXml(config, map);
const tcl = [packageXoTcl(config, sources), synthOocTcl(config, sources, 3.333)];
const base = { xml, tcl, files: [...sources, 'kernel.xml'], ports: module.portInfo(), config, map };

describe('kernel hand-off (checked without Vivado)', () => {
  it('kernel.xml is well formed, names every master and argument at its register offset; every top port has an interface', () => {
    expect(checkHandoff(base)).toEqual([]);
    expect(xml).toContain('hwControlProtocol="ap_ctrl_hs"');
    for (const m of ['io', 'g0', 'g4']) expect(xml).toContain(`<port name="m_axi_${m}" mode="master"`);
    expect(tcl[1]).toContain(`-part ${U55C_PART} -mode out_of_context`);
    expect(tcl[0]).toContain('ipx::associate_bus_interfaces -busif m_axi_g4 -clock ap_clk');
  });

  it('the checks catch what they are for', () => {
    expect(xmlProblems(xml.replace('</args>', ''))).not.toEqual([]);
    expect(xmlProblems(xml.replace('offset="0x10"', 'offset=0x10'))).not.toEqual([]);
    expect(checkHandoff({ ...base, files: base.files.filter((f) => f !== sources[0]) }).join('\n')).toMatch(new RegExp(`Tcl names ${sources[0]}, which is not in the design folder`));
    expect(checkHandoff({ ...base, ports: [...base.ports, { name: 'debug_bus', direction: 'output', width: 8, signed: false } as (typeof base.ports)[number]] })).toEqual(['top port debug_bus belongs to no interface']);
    expect(checkHandoff({ ...base, xml: xml.replace('<port name="m_axi_g1"', '<port name="m_axi_gx"') }).join('\n')).toMatch(/argument k_cache1 names port m_axi_g1, which kernel.xml does not declare/);
  });

  it('scripts/kernel.ts writes the folder; a bad value exits 2 naming it and writes nothing', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'kernel-out-'));
    try {
      const made = runScript('kernel.ts', ['--data-bits', '256', '--out', out]);
      expect(made.code, made.stderr).toBe(0);
      const files = readdirSync(path.join(out, config.name));
      for (const f of ['kernel.xml', 'package_xo.tcl', 'synth_ooc.tcl', 'manifest.json', `${config.name}.v`]) expect(files).toContain(f);
      expect(readFileSync(path.join(out, config.name, 'kernel.xml'), 'utf8')).toBe(xml);
      for (const [args, message] of [
        [['--data-bits', '128'], /kernel: --data-bits 128 is not supported: accepted 256 or 512/],
        [['--rope-pairing', 'spiral'], /kernel: --rope-pairing 'spiral' is not supported: accepted half or interleaved/],
        [['--rope-base', '1'], /kernel: --rope-base 1 is out of range: accepted decimal numbers > 1 and <= 1e9/],
      ] as const) {
        const r = runScript('kernel.ts', [...args, '--out', path.join(out, 'x')]);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr).toMatch(message);
      }
      expect(readdirSync(out)).toEqual([config.name]);
      // Another RoPE is another kernel: its own folder, named after it.
      const other = runScript('kernel.ts', ['--data-bits', '256', '--rope-pairing', 'interleaved', '--rope-base', '500000', '--out', out]);
      expect(other.code, other.stderr).toBe(0);
      expect(readdirSync(out).sort()).toEqual([config.name, `${config.name}_b500000_ri`].sort());
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
