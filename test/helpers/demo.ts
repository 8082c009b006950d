/**
 * Runs the demo as `npm run demo` does (`node examples/demo/main.mjs` on the built packages), here with
 * `--once --port 0`, in a child process whose output the test reads.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from './built.js';

const MAIN = fileURLToPath(new URL('../../examples/demo/main.mjs', import.meta.url));

/** A demo run under way. */
export interface DemoRun {
  /** The viewer's page, once the demo printed it. */
  readonly url: Promise<string>;
  /** Exit code and everything printed, once the process exited. */
  readonly exit: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>;
  /** What it printed so far. */
  stdout(): string;
  /** Stops it if it still runs. */
  kill(): void;
}

/** Starts `examples/demo/main.mjs --once --port 0 ...args`. */
export function startDemo(args: string[]): DemoRun {
  ensureBuilt();
  const child: ChildProcess = spawn(process.execPath, [MAIN, '--once', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: string) => {
      stdout += chunk;
      const m = /^viewer: (http:\/\/127\.0\.0\.1:\d+\/)/m.exec(stdout);
      if (m) resolve(m[1]!);
    });
    child.once('exit', () =>
      reject(new Error(`the demo exited before printing its viewer URL:\n${stdout}${stderr}`)),
    );
  });
  url.catch(() => undefined);
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exit = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    url,
    exit,
    stdout: () => stdout,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * The rows of the tables the summary prints (columns split where the table pads them), by first cell:
 * the latency table's phases and the incidents' severities.
 */
export function summaryTable(stdout: string): string[][] {
  const at = stdout.indexOf('── summary:');
  if (at < 0) return [];
  return stdout
    .slice(at)
    .split('\n')
    .filter((line) => line.startsWith('  '))
    .map((line) => line.trim().split(/\s{2,}/));
}

/** Seconds of a `1.23 s` cell, `null` for `—`. */
export function seconds(cell: string | undefined): number | null {
  if (cell === undefined || cell === '—') return null;
  const m = /^(\d+(?:\.\d+)?) s$/.exec(cell);
  if (!m) throw new Error(`not a duration in seconds: ${cell}`);
  return Number(m[1]);
}
