import { describe, it, expect } from 'vitest';
import { runScript } from '../verify/run-script.ts';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { emitDesign } from '../hdl/index.ts';
import { resolveKernel } from '../generators/kernel/config.ts';
import { buildKernel } from '../generators/kernel/kernel.ts';
import { kernelXml, packageXoTcl, synthOocTcl, connectivityCfg, connectivityProblems, hbmChannels, checkHandoff, xmlProblems, U55C_PART } from './kernel-handoff.ts';

const config = resolveKernel({ mha: { lane: { headDim: 16, pe: 4 }, heads: 2, maxHeads: 8, gemv: { group: 32, maxCols: 256 } }, dataBits: 256 });
const { module, map } = buildKernel(config);
const sources = emitDesign(module).modules.map((m) => m.fileName);
const xml = kernelXml(config, map);
const tcl = [packageXoTcl(config, sources), synthOocTcl(config, sources, 3.333)];
const cfg = connectivityCfg(config, map);
const base = { xml, cfg, tcl, files: [...sources, 'kernel.xml'], ports: module.portInfo(), config, map };

describe('kernel hand-off (checked without Vivado)', () => {
  it('kernel.xml is well formed, names every master and argument at its register offset; every top port has an interface', () => {
    expect(checkHandoff(base)).toEqual([]);
    expect(xml).toContain('hwControlProtocol="ap_ctrl_hs"');
    for (const m of ['io', 'g0', 'g4']) expect(xml).toContain(`<port name="m_axi_${m}" mode="master"`);
    expect(tcl[1]).toContain(`-part ${U55C_PART} -mode out_of_context`);
    expect(tcl[0]).toContain('ipx::associate_bus_interfaces -busif m_axi_g4 -clock ap_clk');
  });

  it('connectivity.cfg puts every buffer argument on its master\'s own pseudo-channel', () => {
    const cu = `${config.name}_1`;
    expect(cfg).toContain(`nk=${config.name}:1:${cu}`);
    // io carries q, o, x, y, k_new, v_new; g<k> (H = 2, Wb = 5) its cache and stripe k.
    for (const [arg, pc] of [['q', 0], ['o', 0], ['x', 0], ['y', 0], ['k_new', 0], ['v_new', 0], ['k_cache0', 1], ['w0', 1], ['s0', 1], ['k_cache1', 2], ['v_cache0', 3], ['v_cache1', 4], ['w4', 5], ['s4', 5]] as const) {
      expect(cfg).toContain(`sp=${cu}.${arg}:HBM[${pc}]\n`);
    }
    expect(cfg.match(/^sp=/gm)).toHaveLength(map.args.filter((a) => a.kind === 'pointer').length);
    // Past 32 masters the channels wrap (the default array's kernel at 512 bits has 35).
    const wide = hbmChannels({ ...config, NG: 34 });
    expect([wide.get('m_axi_g30'), wide.get('m_axi_g31'), wide.get('m_axi_g33')]).toEqual([31, 0, 2]);
  });

  it('the checks catch what they are for', () => {
    const cu = `${config.name}_1`;
    expect(connectivityProblems(cfg.replace(`sp=${cu}.w4:HBM[5]\n`, ''), xml)).toEqual(['argument w4 has 0 sp lines in connectivity.cfg: accepted exactly one']);
    expect(connectivityProblems(cfg.replace(`sp=${cu}.w4:HBM[5]`, `sp=${cu}.w4:HBM[32]`), xml)).toEqual(['argument w4 is mapped to HBM[32]: accepted HBM[0..31]', 'argument s4 of m_axi_g4 is on HBM[5], w4 of the same master on HBM[32]']);
    expect(connectivityProblems(cfg.replace(`sp=${cu}.x:HBM[0]`, `sp=${cu}.x:HBM[7]`), xml)).toEqual(['argument x of m_axi_io is on HBM[7], q of the same master on HBM[0]']);
    expect(connectivityProblems(cfg.replace(/HBM\[5\]/g, 'HBM[1]'), xml)).toEqual(['6 masters share pseudo-channels although 32 are available']);
    expect(connectivityProblems(`${cfg}sp=${cu}.bogus:HBM[3]\n`, xml)).toEqual(['connectivity.cfg maps bogus, which is not a buffer argument of kernel.xml']);
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
      for (const f of ['kernel.xml', 'package_xo.tcl', 'connectivity.cfg', 'synth_ooc.tcl', 'manifest.json', `${config.name}.v`]) expect(files).toContain(f);
      expect(readFileSync(path.join(out, config.name, 'connectivity.cfg'), 'utf8')).toBe(cfg);
      expect(readFileSync(path.join(out, config.name, 'kernel.xml'), 'utf8')).toBe(xml);
      for (const [args, message] of [
        [['--data-bits', '128'], /kernel: --data-bits 128 is not supported: accepted 256 or 512/],
        [['--rope-pairing', 'spiral'], /kernel: --rope-pairing 'spiral' is not supported: accepted half or interleaved/],
        [['--rope-base', '1'], /kernel: --rope-base 1 is out of range: accepted decimal numbers > 1 and <= 1e9/],
        [['--control', 'ap_ctrl_none'], /kernel: --control 'ap_ctrl_none' is not supported: accepted hs or chain/],
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
      // ap_ctrl_chain: its own kernel, and kernel.xml says so.
      const chained = runScript('kernel.ts', ['--data-bits', '256', '--control', 'chain', '--out', out]);
      expect(chained.code, chained.stderr).toBe(0);
      expect(readFileSync(path.join(out, `${config.name}_chain`, 'kernel.xml'), 'utf8')).toContain('hwControlProtocol="ap_ctrl_chain"');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
