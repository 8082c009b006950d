/**
 * The Prometheus tools the fleet tests run (Debian `prometheus` and `prometheus-alertmanager`). A
 * missing tool skips its tests with a loud warning locally, and fails them under CI=true, where
 * `.ci/run` installs the packages.
 */
import { spawnSync } from 'node:child_process';

/** A tool of the Prometheus packages. */
export type PromTool = 'promtool' | 'amtool' | 'prometheus';

const DEBIAN_PACKAGE: Record<PromTool, string> = {
  promtool: 'prometheus',
  prometheus: 'prometheus',
  amtool: 'prometheus-alertmanager',
};

/**
 * Whether `tool` runs here. Throws under CI=true when it does not; otherwise prints why its tests
 * are skipped.
 */
export function haveTool(tool: PromTool): boolean {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (!r.error && r.status === 0) return true;
  const why = `${tool} is not runnable here (${r.error?.message ?? `exit ${r.status}`}); install the Debian package ${DEBIAN_PACKAGE[tool]}`;
  if (process.env.CI === 'true') throw new Error(`${why}: CI must have it`);
  console.warn(`\n!!! SKIPPED: the tests that need ${tool}. ${why}.\n`);
  return false;
}

/** Runs a tool synchronously; returns its exit status, its stdout, and stdout and stderr together. */
export function runTool(
  tool: PromTool,
  args: string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): { status: number | null; stdout: string; output: string } {
  const r = spawnSync(tool, args, {
    cwd: options.cwd,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
  });
  return {
    status: r.status,
    stdout: r.stdout ?? '',
    output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`,
  };
}
