/**
 * `node --import tsx scripts/kernel.ts [options]`: generates the Alveo kernel around the
 * SwiftKV-MHA top into <out>/<kernel name>/: the Verilog, kernel.xml, package_xo.tcl,
 * connectivity.cfg, synth_ooc.tcl, manifest.json; checks the hand-off (flow/kernel-handoff.ts)
 * before writing.
 */
import { emitDesign } from '../hdl/index.ts';
import { DesignFolderError, writeDesign } from '../hdl/artifacts.ts';
import { resolveKernel, type DataBits } from '../generators/kernel/config.ts';
import { buildKernel } from '../generators/kernel/kernel.ts';
import { kernelXml, packageXoTcl, synthOocTcl, connectivityCfg, checkHandoff } from '../flow/kernel-handoff.ts';
import { parseCommandLine, plainInteger, shown, userPath, checkOutputFolder, runCli, UsageError } from './cli.ts';

const TOOL = 'kernel';
const INVOCATION = 'node --import tsx scripts/kernel.ts';

const HELP = `usage: ${INVOCATION} [options]
  --heads H          lanes of the array (default 2, 1..64)
  --pe P             processing elements per lane (default 4; divides d)
  --head-dim d       head dimension (default 16; a power of two)
  --max-heads N      largest nHeads of a job (default 8, 1..1024)
  --max-context N    largest context length (default 16384)
  --gemv-max-cols N  largest GEMV N (default 256; a multiple of 32)
  --data-bits W      AXI data width of every master: 256 or 512 (default 512)
  --rope-base B      RoPE frequency base of the decode step (default 10000; > 1, <= 1e9)
  --rope-pairing P   RoPE pairs: half (LLaMA: x[i], x[i + d/2]) or interleaved (x[2i], x[2i+1]) (default half)
  --control C        hs (ap_ctrl_hs: one job at a time) or chain (ap_ctrl_chain: the next job queued while one runs) (default hs)
  --period NS        clock period for synth_ooc.tcl in ns (default 3.333: an assumed 300 MHz, not an estimate)
  --out DIR          output folder (default out)`;

function int(flag: string, text: string | undefined, dflt: number, lo: number, hi: number): number {
  if (text === undefined) return dflt;
  const n = plainInteger(text);
  if (n === undefined || n < lo || n > hi) throw new UsageError(`--${flag} ${shown(text)} is out of range: accepted integers ${lo}..${hi}`);
  return n;
}

async function main(): Promise<void> {
  const o = parseCommandLine(TOOL, process.argv.slice(2), {
    heads: 'string', pe: 'string', 'head-dim': 'string', 'max-heads': 'string', 'max-context': 'string',
    'gemv-max-cols': 'string', 'data-bits': 'string', 'rope-base': 'string', 'rope-pairing': 'string', control: 'string', period: 'string', out: 'string', help: 'boolean',
  }, INVOCATION);
  if (o.help) {
    console.log(HELP);
    return;
  }
  const heads = int('heads', o.heads, 2, 1, 64);
  const pe = int('pe', o.pe, 4, 1, 4096);
  const headDim = int('head-dim', o['head-dim'], 16, 2, 4096);
  const maxHeads = int('max-heads', o['max-heads'], 8, 1, 1024);
  const maxContext = int('max-context', o['max-context'], 16384, 1, 1 << 20);
  const maxCols = int('gemv-max-cols', o['gemv-max-cols'], 256, 32, 65535);
  const dataBitsText = o['data-bits'] ?? '512';
  if (dataBitsText !== '256' && dataBitsText !== '512') throw new UsageError(`--data-bits ${shown(dataBitsText)} is not supported: accepted 256 or 512`);
  const dataBits = Number(dataBitsText);
  const baseText = o['rope-base'] ?? '10000';
  const base = /^\d+(\.\d+)?$/.test(baseText) ? Number(baseText) : NaN;
  if (!(base > 1 && base <= 1e9)) throw new UsageError(`--rope-base ${shown(baseText)} is out of range: accepted decimal numbers > 1 and <= 1e9`);
  const pairing = o['rope-pairing'] ?? 'half';
  if (pairing !== 'half' && pairing !== 'interleaved') throw new UsageError(`--rope-pairing ${shown(pairing)} is not supported: accepted half or interleaved`);
  const control = o.control ?? 'hs';
  if (control !== 'hs' && control !== 'chain') throw new UsageError(`--control ${shown(control)} is not supported: accepted hs or chain`);
  const periodText = o.period ?? '3.333';
  const period = /^\d+(\.\d+)?$/.test(periodText) ? Number(periodText) : NaN;
  if (!(period >= 1 && period <= 100)) throw new UsageError(`--period ${shown(periodText)} is out of range: accepted decimal nanoseconds 1..100`);
  const out = userPath('out', o.out ?? 'out');
  await checkOutputFolder('out', out);
  let config;
  try {
    config = resolveKernel({ mha: { lane: { headDim, pe, maxContext }, heads, maxHeads, gemv: { group: 32, maxCols } }, dataBits: dataBits as DataBits, rope: { base, pairing }, control });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  const { module, map } = buildKernel(config);
  const design = emitDesign(module);
  const sources = design.modules.map((m) => m.fileName);
  const xml = kernelXml(config, map);
  const pack = packageXoTcl(config, sources);
  const synth = synthOocTcl(config, sources, period);
  const cfg = connectivityCfg(config, map);
  const problems = checkHandoff({ xml, cfg, tcl: [pack, synth], files: [...sources, 'kernel.xml'], ports: module.portInfo(), config, map });
  if (problems.length > 0) throw new Error(`hand-off check failed:\n${problems.join('\n')}`);
  try {
    const { dir } = await writeDesign(design, out, config.name, [
      { name: 'kernel.xml', content: xml },
      { name: 'package_xo.tcl', content: pack },
      { name: 'synth_ooc.tcl', content: synth },
      { name: 'connectivity.cfg', content: cfg },
    ]);
    console.log(`${TOOL}: wrote ${dir} (${sources.length} Verilog files, kernel.xml, package_xo.tcl, connectivity.cfg, synth_ooc.tcl; Vivado and Vitis steps untested here)`);
  } catch (e) {
    if (e instanceof DesignFolderError) throw new UsageError(e.message);
    throw e;
  }
}

runCli(TOOL, main);
