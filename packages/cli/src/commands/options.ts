/**
 * What the subcommands share: usage errors (exit 2), the `--thresholds FILE` overrides, and writing
 * output files.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolveThresholds, type ThresholdOverrides, type Thresholds } from '@voxtrace/core';

/** Bad arguments or unusable input: the command prints it with its usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `parseArgs` that turns its errors (unknown option, missing value) into a {@link UsageError}. */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * Reads threshold overrides (JSON, as `createVoxtrace({ thresholds })` takes them) and validates
 * them; the defaults without a file.
 */
export async function loadThresholds(file: string | undefined): Promise<Thresholds> {
  if (file === undefined) return resolveThresholds();
  let overrides: ThresholdOverrides;
  try {
    overrides = JSON.parse(await readFile(file, 'utf8')) as ThresholdOverrides;
  } catch (err) {
    throw new UsageError(`--thresholds ${file}: ${(err as Error).message}`);
  }
  try {
    return resolveThresholds(overrides);
  } catch (err) {
    throw new UsageError(`--thresholds ${file}: ${(err as Error).message}`);
  }
}

/** A positive whole number of milliseconds, or `undefined` when not given. */
export function milliseconds(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw new UsageError(`--${name} needs a positive whole number of milliseconds, got "${value}"`);
  return Number(value);
}

/** Writes `files` (name → text) into `dir`, creating it; returns the paths written. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    await writeFile(path, text);
    written.push(path);
  }
  return written;
}

/** Runs a command body: a {@link UsageError} prints the message and the usage and exits 2. */
export async function withUsage(name: string, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`voxtrace ${name}: ${err.message}\n\n${usage}`);
    return 2;
  }
}
