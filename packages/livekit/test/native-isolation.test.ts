/**
 * `@livekit/agents` is a types-only peer: importing `@voxtrace/livekit` (ESM or CommonJS build) must not
 * load LiveKit or its native libraries. Each case runs in a fresh Node process that records every
 * native addon opened and every module resolved; importing `@livekit/agents` itself shows the probe
 * sees them.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../../test/helpers/built.js';

const probe = fileURLToPath(new URL('./fixtures/load-probe.mjs', import.meta.url));

interface Probe {
  target: string[];
  dlopened: string[];
  mapped: string[];
  livekitEsm: string[];
  livekitCjs: string[];
}

function load(specifier: string, how: 'import' | 'require'): Probe {
  const out = execFileSync(process.execPath, [probe, specifier, how], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('importing @voxtrace/livekit', () => {
  beforeAll(ensureBuilt, 600_000);

  it.each(['import', 'require'] as const)('by %s loads no LiveKit module and no native addon', (how) => {
    const p = load('@voxtrace/livekit', how);
    expect(p.target.length).toBeGreaterThan(0);
    expect(p.dlopened).toEqual([]);
    expect(p.mapped).toEqual([]);
    expect(p.livekitEsm).toEqual([]);
    expect(p.livekitCjs).toEqual([]);
  });

  it('is told apart from importing @livekit/agents, which loads its native bindings', () => {
    const p = load('@livekit/agents', 'import');
    expect(p.dlopened.some((f) => f.includes('rtc-node'))).toBe(true);
    expect(p.livekitEsm.length).toBeGreaterThan(0);
  });
});
