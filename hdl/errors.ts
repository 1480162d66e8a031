import { type SourceLoc, formatLocation } from './source.ts';

/** An error in a design description: names the rule, the signals and the user's source line. */
export class HdlError extends Error {
  readonly loc: SourceLoc | undefined;
  readonly rule: string;
  constructor(rule: string, message: string, loc: SourceLoc | undefined) {
    super(`${rule}: ${message} (at ${formatLocation(loc)})`);
    this.name = 'HdlError';
    this.rule = rule;
    this.loc = loc;
  }
}

/** Several problems found by one check pass, reported together. */
export class HdlCheckError extends Error {
  readonly problems: HdlError[];
  constructor(problems: HdlError[]) {
    super(problems.map((p) => p.message).join('\n'));
    this.name = 'HdlCheckError';
    this.problems = problems;
  }
}
