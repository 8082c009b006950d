import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { replayConversation, toFixture } from '@voxtrace/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt } from '../../../test/helpers/built.js';

// These tests run the built packages as users do (`npm test` builds first; a lone file builds if stale).
beforeAll(ensureBuilt, 600_000);

const run = promisify(execFile);
const T0 = 1_763_700_000_000;

/** A call whose turns wait `latencies` ms each (LLM time to first token is the wait). */
function call(id: string, latencies: number[]) {
  const events = latencies.flatMap((l, i) => {
    const t = T0 + i * 20_000;
    return [
      { type: 'user.speech.started', at: t },
      { type: 'user.speech.ended', at: t + 1000 },
      { type: 'llm.started', at: t + 1000 },
      { type: 'llm.first_token', at: t + 1000 + l - 50 },
      { type: 'agent.speech.started', at: t + 1000 + l },
      { type: 'agent.speech.ended', at: t + 3000 + l },
    ];
  });
  return toFixture(replayConversation(events, { id, platform: 'custom', startedAt: T0 }));
}

async function voxtrace(...args: string[]) {
  try {
    const { stdout } = await run(process.execPath, [CLI, ...args]);
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout + e.stderr };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'voxtrace-replay-'));
  await writeFile(join(dir, 'fast.json'), JSON.stringify(call('fast', [800, 900, 1000, 1100])));
  await writeFile(join(dir, 'slow.json'), JSON.stringify(call('slow', [900, 4200, 6100])));
  await writeFile(join(dir, 'broken.json'), '{"voxtraceFixture": 1, "events": 3}');
});

describe('voxtrace replay', () => {
  it('passes fixtures within the limits', async () => {
    const r = await voxtrace(
      'replay',
      join(dir, 'fast.json'),
      '--assert-p90',
      '3500',
      '--assert-turn-latency',
      '5000',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('fast (custom, fixture) 4 turns, worst 1100 ms');
    expect(r.stdout).toContain('P90 turn latency: 1100 ms over 4 turns');
  });

  it('exits 1 on a P90 breach and on a slow turn, naming them', async () => {
    const r = await voxtrace(
      'replay',
      join(dir, 'fast.json'),
      join(dir, 'slow.json'),
      '--assert-p90',
      '3500',
      '--assert-turn-latency',
      '5000',
    );
    expect(r.code).toBe(1);
    // 7 turns: nearest-rank P90 is the 7th smallest
    expect(r.stdout).toContain('BREACH P90 turn latency 6100 ms > 3500 ms');
    expect(r.stdout).toMatch(/slow\.json: slow turn 3 took 6100 ms > 5000 ms \(bottleneck llm\)/);
  });

  it('without limits it only reports', async () => {
    expect((await voxtrace('replay', join(dir, 'slow.json'))).code).toBe(0);
  });

  it('exits 2 on unusable input', async () => {
    const r = await voxtrace('replay', join(dir, 'broken.json'));
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/not a voxtrace fixture/);
    expect((await voxtrace('replay', join(dir, 'missing.json'))).code).toBe(2);
    expect((await voxtrace('replay', join(dir, 'fast.json'), '--assert-p90', 'soon')).code).toBe(2);
    expect((await voxtrace('replay')).code).toBe(2);
  });
});
