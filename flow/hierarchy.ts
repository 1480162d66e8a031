/**
 * The module hierarchy of an emitted design, read from the emitted Verilog itself (the names
 * there are final: content-hashed names included, and modules the emitter merged because their
 * text was equal appear once).
 */
import type { EmittedDesign } from '../hdl/verilog.ts';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Per module: the design's modules it instantiates, with their instance counts. */
export function childrenOf(design: EmittedDesign): Map<string, Record<string, number>> {
  const names = design.modules.map((m) => m.name);
  const out = new Map<string, Record<string, number>>();
  for (const em of design.modules) {
    const kids: Record<string, number> = {};
    for (const n of names) {
      if (n === em.name) continue;
      // The emitter writes one instance per line: `  <module>[ #(...)] <instance> (`.
      const count = em.text.match(new RegExp(`^  ${escapeRegExp(n)}(?: #\\(.*?\\))? [A-Za-z_][\\w$]* \\(`, 'gm'))?.length ?? 0;
      if (count > 0) kids[n] = count;
    }
    out.set(em.name, kids);
  }
  return out;
}

/** How many times each module occurs in the hierarchy under the top (the top: once). */
export function occurrences(design: EmittedDesign): Map<string, number> {
  const kids = childrenOf(design);
  const counts = new Map<string, number>(design.modules.map((m) => [m.name, 0]));
  const visit = (name: string, times: number, path: readonly string[]): void => {
    if (path.includes(name)) throw new Error(`hierarchy: '${name}' instantiates itself (${[...path, name].join(' -> ')})`);
    counts.set(name, (counts.get(name) ?? 0) + times);
    for (const [child, n] of Object.entries(kids.get(name) ?? {})) visit(child, times * n, [...path, name]);
  };
  visit(design.top, 1, []);
  return counts;
}

/**
 * DSP48E2 tile primitives in the whole hierarchy whose inputs and output are both registered
 * (the pattern Vivado absorbs into the slice), counted per instance.
 */
export function registeredDspTiles(design: EmittedDesign): number {
  const occ = occurrences(design);
  let n = 0;
  for (const em of design.modules) {
    const p = em.module.primitive;
    if (p?.kind === 'dsp48e2' && p.inputsRegistered && p.outputRegistered) n += occ.get(em.name) ?? 0;
  }
  return n;
}
