/**
 * Tests that run a command-line tool as a user does: `node --import tsx scripts/<name>` from the
 * project root, returning the exit code and both outputs (a non-zero exit is a result, not a throw).
 */
import { execFileSync } from 'node:child_process';

export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runScript(script: string, args: readonly string[]): ScriptRun {
  try {
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', `scripts/${script}`, ...args], { encoding: 'utf8', stdio: 'pipe' });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    const x = e as { status: number; stdout: string | Buffer; stderr: string | Buffer };
    return { code: x.status, stdout: String(x.stdout), stderr: String(x.stderr) };
  }
}
