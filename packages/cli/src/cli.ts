#!/usr/bin/env node
/**
 * The `voxtrace` command. Each subcommand lives in `commands/<name>.ts` and is registered in
 * `commands/index.ts`.
 */
import { commands } from './commands/index.js';

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    const list = Object.entries(commands)
      .map(([n, c]) => `  ${n.padEnd(12)} ${c.summary}`)
      .join('\n');
    console.log(`usage: voxtrace <command> [options]\n\ncommands:\n${list}`);
    return name && name !== '--help' && name !== 'help' ? 2 : 0;
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
