import { dashboard } from './dashboard.js';
import { dev } from './dev.js';
import { postmortem } from './postmortem.js';
import { replay } from './replay.js';
import { rules } from './rules.js';
import { runbooks } from './runbooks.js';

/** The subcommands of `voxtrace`, by name. */
export interface Command {
  /** One line for `voxtrace --help`. */
  summary: string;
  /** Runs the command; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

/** Registered subcommands. */
export const commands: Record<string, Command> = { dashboard, dev, postmortem, replay, rules, runbooks };
