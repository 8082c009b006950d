#!/usr/bin/env node
/**
 * The `voxtrace` command. Each subcommand lives in `commands/<name>.ts` and is registered in
 * `commands/index.ts`.
 */
import pkg from '../package.json' with { type: 'json' };
import { commands } from './commands/index.js';

function usage(): string {
  const list = Object.entries(commands)
    .map(([n, c]) => `  ${n.padEnd(12)} ${c.summary}`)
    .join('\n');
  return `usage: voxtrace <command> [options]\n\ncommands:\n${list}\n\nvoxtrace <command> --help shows a command's options; voxtrace --version prints the version.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    console.log(pkg.version);
    return 0;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  if (name === undefined) {
    console.error(usage());
    return 2;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    // Conventional CLIs name the mistake first, on stderr, and exit 2 (a usage error).
    console.error(`voxtrace: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(args);
  } catch (err) {
    console.error(`voxtrace ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
