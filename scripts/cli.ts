/**
 * The command-line layer every script shares: arguments through Node's `util.parseArgs` in
 * strict mode (unknown flags and positional arguments are errors), values checked with zod
 * (integers only as plain decimal text), paths resolved against the caller's folder, output
 * locations checked before any work, and one exit convention:
 *
 *   0  success
 *   2  a usage or input problem (UsageError): `<tool>: <message>` on stderr, nothing written
 *   1  an internal failure (a tool crashed, a result differs from its golden model)
 *
 * User errors never print a stack trace; internal ones do (they are bugs to report).
 */
import { parseArgs } from 'node:util';
import { lstat, mkdtemp, rmdir, access } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

/** A problem with what the user typed or gave: exit code 2. The message may have several lines. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionKinds = Record<string, 'string' | 'boolean'>;
export type OptionValues<O extends OptionKinds> = { [K in keyof O]?: O[K] extends 'boolean' ? boolean : string };

/**
 * Parse `argv` strictly. `--flag -5` is read as the value -5 of a string option (parseArgs would
 * call it ambiguous), so a negative number gets a range message rather than a riddle.
 */
export function parseCommandLine<O extends OptionKinds>(
  tool: string,
  argv: readonly string[],
  kinds: O,
  /** How the user starts the tool, for the pointer to --help. */
  invocation = `npm run ${tool} --`,
): OptionValues<O> {
  const options = Object.fromEntries(Object.entries(kinds).map(([k, type]) => [k, { type }]));
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    if (name !== undefined && kinds[name] === 'string' && next !== undefined && /^-[0-9.]/.test(next)) {
      args.push(`${a}=${next}`);
      i++;
    } else {
      args.push(a);
    }
  }
  const help = `see \`${invocation} --help\``;
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as OptionValues<O>;
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    const quoted = /'([^']*)'/.exec((e as Error).message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${quoted}; ${help}`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument '${quoted}': every value follows its --option; ${help}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const flag = quoted.split(' ')[0]!;
      throw new UsageError(kinds[flag.replace(/^--/, '')] === 'boolean' ? `${flag} takes no value; ${help}` : `${flag} needs a value; ${help}`);
    }
    throw e;
  }
}

/** How a value is shown in a message: as typed, quoted when it is not a plain number. */
export function shown(text: string): string {
  return /^-?\d+$/.test(text) ? text : `'${text}'`;
}

/** A plain decimal integer (optional minus sign, digits only), or undefined. */
export function plainInteger(text: string): number | undefined {
  return /^-?\d+$/.test(text) ? Number(text) : undefined;
}

/** zod: a flag's text as a plain decimal integer; `accepted` completes the message (e.g. "integers 1..64"). */
export function decimalFlag(flag: string, accepted: string): z.ZodType<number, string> {
  return z.string().transform((text, ctx) => {
    const n = plainInteger(text);
    if (n === undefined) {
      ctx.addIssue({ code: 'custom', message: `--${flag} ${shown(text)} is not a plain decimal integer: accepted ${accepted}` });
      return z.NEVER;
    }
    return n;
  });
}

/** zod: a flag that must be given (its value, e.g. `<file.npy>`, named in the message). */
export function requiredFlag(flag: string, value: string): z.ZodString {
  return z.string({ error: `--${flag} ${value} is required` });
}

/** zod: a flag's text as one of `choices`. */
export function choiceFlag<const C extends readonly [string, ...string[]]>(flag: string, choices: C): z.ZodType<C[number], string> {
  return z.string().refine((t): t is C[number] => (choices as readonly string[]).includes(t), {
    error: (i) => `--${flag} ${shown(String(i.input))} is not supported: accepted ${choices.join(', ')}`,
  });
}

/** zod issues as messages, one per problem. */
export function issueMessages(error: z.ZodError): string[] {
  return error.issues.map((i) => i.message);
}

/** A tool's parsed flags (its --help left out) through its zod schema: every problem in one UsageError. */
export function validateFlags<S extends z.ZodType>(values: Record<string, unknown>, schema: S): z.output<S> {
  const { help: _help, ...flags } = values;
  const parsed = schema.safeParse(flags);
  if (!parsed.success) throw new UsageError(issueMessages(parsed.error).join('\n'));
  return parsed.data;
}

/** The folder relative paths are taken from: the caller's (npm sets INIT_CWD to it), else ours. */
export function callerFolder(): string {
  return process.env.INIT_CWD ?? process.cwd();
}

/** A path as the user typed it, made absolute against the caller's folder. */
export function userPath(flag: string, text: string): string {
  if (text.trim() === '') throw new UsageError(`--${flag} ${shown(text)} is empty: accepted a path`);
  return path.resolve(callerFolder(), text);
}

async function kind(p: string): Promise<'dir' | 'file' | 'missing'> {
  try {
    return (await lstat(p)).isDirectory() ? 'dir' : 'file';
  } catch (e) {
    // ENOTDIR: a component of the path is a file; the caller walks up to it.
    if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return 'missing';
    throw e;
  }
}

/** Can we create entries in `dir`? Tried for real (a root user passes permission checks, a read-only mount does not). */
async function writable(dir: string): Promise<string | undefined> {
  try {
    await access(dir, fsConstants.W_OK | fsConstants.X_OK);
    await rmdir(await mkdtemp(path.join(dir, '.write-probe-')));
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}

/**
 * An output folder (created with its parents if missing): refused if it is a file, lies under
 * a file, or cannot be written. Checked before any work.
 */
export async function checkOutputFolder(flag: string, dir: string): Promise<void> {
  let probe = dir;
  for (;;) {
    const k = await kind(probe);
    if (k === 'file') {
      throw new UsageError(probe === dir ? `--${flag} ${dir} is a file: accepted a folder (created if missing)` : `--${flag} ${dir}: ${probe} is a file, so the folder cannot be created`);
    }
    if (k === 'dir') break;
    const up = path.dirname(probe);
    if (up === probe) break;
    probe = up;
  }
  const problem = await writable(probe);
  if (problem) throw new UsageError(`--${flag} ${dir}: cannot write in ${probe} (${problem}): accepted a folder you can write to`);
}

/** An output file: its folder must exist and be writable, and it must not be a folder itself. */
export async function checkOutputFile(flag: string, file: string): Promise<void> {
  if ((await kind(file)) === 'dir') throw new UsageError(`--${flag} ${file} is a folder: accepted a file path`);
  const dir = path.dirname(file);
  const k = await kind(dir);
  if (k === 'missing') throw new UsageError(`--${flag} ${file}: the folder ${dir} does not exist`);
  if (k === 'file') throw new UsageError(`--${flag} ${file}: ${dir} is a file, not a folder`);
  const problem = await writable(dir);
  if (problem) throw new UsageError(`--${flag} ${file}: cannot write in ${dir} (${problem}): accepted a folder you can write to`);
}

/** An input file that must exist and be a file. */
export async function checkInputFile(flag: string, file: string): Promise<void> {
  const k = await kind(file);
  if (k === 'missing') throw new UsageError(`--${flag} ${file}: no such file`);
  if (k === 'dir') throw new UsageError(`--${flag} ${file} is a folder: accepted a file`);
}

/**
 * Run a script's main function with the exit convention above. Lines of a UsageError are each
 * prefixed with the tool name.
 */
export function runCli(tool: string, main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    if (e instanceof UsageError) {
      for (const line of e.message.split('\n')) console.error(`${tool}: ${line}`);
      process.exit(2);
    }
    console.error(`${tool}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  });
}
