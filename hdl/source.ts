/**
 * Source locations: every IR node and statement remembers the TypeScript line that created it,
 * so that diagnostics point at the user's code rather than at the DSL internals.
 */
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

export interface SourceLoc {
  file: string;
  line: number;
  column: number;
}

const hdlDir = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = path.dirname(hdlDir);

/** True for stack frames inside the DSL implementation itself (not its tests). */
function isInternalFrame(file: string): boolean {
  if (file.startsWith('node:') || file.includes('node_modules')) return true;
  if (!file.startsWith(hdlDir + path.sep)) return false;
  return !/\.test\.ts$/.test(file);
}

const framePattern = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?\s*$/;

/** The first stack frame outside `hdl/` (the user's line), or undefined when unknown. */
export function captureLocation(): SourceLoc | undefined {
  const stack = new Error().stack;
  if (!stack) return undefined;
  const lines = stack.split('\n').slice(1);
  for (const raw of lines) {
    const m = framePattern.exec(raw.trim());
    if (!m) continue;
    let file = m[1]!;
    if (file.startsWith('file://')) file = fileURLToPath(file);
    if (isInternalFrame(file)) continue;
    return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

/** `generators/mac.ts:42`, relative to the project root when possible. */
export function formatLocation(loc: SourceLoc | undefined): string {
  if (!loc) return '<unknown location>';
  const rel = path.relative(projectRoot, loc.file);
  const shown = rel.startsWith('..') ? loc.file : rel;
  return `${shown.split(path.sep).join('/')}:${loc.line}`;
}
