/**
 * Icarus Verilog 11 backend: `iverilog -g2005 -Wall` compiles to a .vvp
 * file, `vvp -N` runs it (`-N`: $stop ends the run with exit code 1).
 */
import { join } from 'node:path';
import {
  runTool,
  runToolChecked,
  toolVersion,
  type NormalizedBuildRequest,
  type SimBackend,
} from './tool.ts';

const VVP_FILE = 'sim.vvp';

/** Flags of the simulation build: Verilog-2005, all warnings shown (they do not fail the build). */
export const ICARUS_SIM_FLAGS: readonly string[] = ['-g2005', '-Wall'];

function iverilogExe(req: { tools: { iverilog?: string } }): string {
  return req.tools.iverilog ?? 'iverilog';
}

function vvpExe(req: { tools: { vvp?: string } }): string {
  return req.tools.vvp ?? 'vvp';
}

function defineArgs(defines: Record<string, string | number>): string[] {
  return Object.keys(defines)
    .sort()
    .map((k) => `-D${k}=${String(defines[k])}`);
}

function includeArgs(dirs: readonly string[]): string[] {
  return dirs.flatMap((d) => ['-I', d]);
}

function keyArgs(req: NormalizedBuildRequest): string[] {
  return [...ICARUS_SIM_FLAGS, ...defineArgs(req.defines), ...includeArgs(req.includeDirs), '--extra--', ...req.extraArgs];
}

export const icarusBackend: SimBackend = {
  name: 'icarus',
  artifact: VVP_FILE,

  version: (req) => toolVersion('iverilog', iverilogExe(req), ['-V']),

  keyArgs,

  async build(req, dir) {
    const args = [
      ...ICARUS_SIM_FLAGS,
      '-s',
      req.top,
      '-o',
      join(dir, VVP_FILE),
      ...includeArgs(req.includeDirs),
      ...defineArgs(req.defines),
      ...req.extraArgs,
      ...req.sources,
    ];
    const r = await runToolChecked('iverilog', iverilogExe(req), args, { tool: 'iverilog', cwd: dir });
    return `$ ${r.command}\n${r.all}\n`;
  },

  runCommand(req, dir, plusargs, opts) {
    const ext = opts.waves?.toLowerCase().endsWith('.fst') ? ['-fst'] : [];
    return { file: vvpExe(req), args: ['-N', join(dir, VVP_FILE), ...ext, ...plusargs], tool: 'vvp' };
  },
};

export interface IverilogLintOptions {
  includeDirs?: string[];
  defines?: Record<string, string | number>;
  extraArgs?: string[];
  /** Executable (default: `iverilog` on PATH). */
  executable?: string;
}

/**
 * Elaborate with `iverilog -g2005 -Wall -t null -s <top>` and return the
 * warnings (ok=false if there are warnings or errors). Throws
 * SimulatorMissingError if Icarus is not installed.
 */
export async function iverilogLint(
  files: string[],
  top: string,
  opts: IverilogLintOptions = {},
): Promise<{ ok: boolean; output: string }> {
  const r = await runTool(
    opts.executable ?? 'iverilog',
    [
      ...ICARUS_SIM_FLAGS,
      '-t',
      'null',
      '-s',
      top,
      ...includeArgs(opts.includeDirs ?? []),
      ...defineArgs(opts.defines ?? {}),
      ...(opts.extraArgs ?? []),
      ...files,
    ],
    { tool: 'iverilog' },
  );
  const output = r.all.trim();
  return { ok: r.exitCode === 0 && output === '', output };
}

/** `iverilog -V` first line (memoized). */
export async function iverilogVersion(executable = 'iverilog'): Promise<string> {
  return toolVersion('iverilog', executable, ['-V']);
}
