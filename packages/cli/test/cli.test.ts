/** The `voxtrace dev` command as a user runs it: a real process, real signals. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt } from '../../../test/helpers/built.js';

// These tests run the built packages as users do (`npm test` builds first; a lone file builds if stale).
beforeAll(ensureBuilt, 600_000);

const INDEX = new URL('../dist/index.js', import.meta.url).href;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Runs `node args`; resolves with the exit code and output once it exits. */
function run(
  args: string[],
  onStdout?: (text: string, child: ChildProcess) => void,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    onStdout?.(stdout, child);
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('voxtrace dev', () => {
  it('serves the viewer and the OTLP endpoint until SIGTERM, then exits 0', async () => {
    let checked: Promise<void> | undefined;
    const result = await run([CLI, 'dev', '--port', '0', '--max-conversations', '5'], (out, child) => {
      const url = /viewer\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
      if (!url || !/OTEL_EXPORTER_OTLP_ENDPOINT=/.test(out) || checked) return;
      checked = (async () => {
        const page = await fetch(url);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<title>voxtrace dev</title>');
        const otlp = await fetch(`${url}v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        expect([otlp.status, await otlp.json()]).toEqual([200, {}]);
        child.kill('SIGTERM');
      })();
    });
    await checked;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/OTLP\/HTTP\s+http:\/\/127\.0\.0\.1:\d+\/v1\/traces/);
  });

  it('refuses bad options with exit code 2 and the usage', async () => {
    const bad = await run([CLI, 'dev', '--port', 'eighty']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--port must be an integer from 0 to 65535, got "eighty"/);
    expect(bad.stderr).toMatch(/usage: voxtrace dev/);
    const unknown = await run([CLI, 'dev', '--colour']);
    expect(unknown.code).toBe(2);
    const help = await run([CLI, 'dev', '--help']);
    expect([help.code, help.stdout]).toEqual([0, expect.stringMatching(/OTEL_EXPORTER_OTLP_ENDPOINT/)]);
    const list = await run([CLI, '--help']);
    expect(list.stdout).toMatch(/dev\s+local viewer/);
  });

  it('names an unknown command before the usage, exit code 2; prints its version', async () => {
    const bogus = await run([CLI, 'bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/^voxtrace: unknown command 'bogus'\n\nusage: voxtrace <command>/);
    // Names of Object.prototype are not commands either.
    expect((await run([CLI, 'constructor'])).stderr).toMatch(/unknown command 'constructor'/);
    const none = await run([CLI]);
    expect([none.code, none.stderr]).toEqual([2, expect.stringMatching(/^usage: voxtrace <command>/)]);
    const version = await run([CLI, '--version']);
    const { version: expected } = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    );
    expect([version.code, version.stdout.trim()]).toEqual([0, expected]);
    expect(expected).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('says so when the port is taken, exit code 1', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const { port } = taken.address() as AddressInfo;
    try {
      const result = await run([CLI, 'dev', '--port', String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`port ${port} is in use .*--port 0`));
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });

  it('connectToDevViewer never keeps a process alive (its timer is unref’d)', async () => {
    const script = `
      const { connectToDevViewer } = await import(${JSON.stringify(INDEX)});
      const vt = { on: () => () => {}, monitor: { snapshot: () => ({ at: Date.now(), severity: null }) } };
      connectToDevViewer(vt, 'http://127.0.0.1:9', { snapshotIntervalMs: 50 });
      console.log('connected');`;
    const result = await run(['--input-type=module', '-e', script]);
    expect([result.code, result.stdout.trim()]).toEqual([0, 'connected']);
  });
});
