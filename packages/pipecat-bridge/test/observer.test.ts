/**
 * The Python observer's wire format against the real listener: `examples/pipecat/check_observer.py`
 * runs `voxtrace_observer.py` (with stand-ins for Pipecat and websockets, which cannot be installed
 * here) over fixture 2 and prints the frames it would send; a `ws` client delivers them to
 * `listenForPipecat`. Skipped, visibly, where no `python3` is on the PATH.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ConversationRecord } from '@voxtrace/core';
import { listenForPipecat } from '@voxtrace/pipecat-bridge';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BASE, F2, setup } from './helpers.js';

const python = spawnSync('python3', ['--version']).status === 0;
const script = fileURLToPath(new URL('../../../examples/pipecat/check_observer.py', import.meta.url));
const fixturePath = fileURLToPath(new URL(`../../../fixtures/pipecat/${F2}`, import.meta.url));

describe.skipIf(!python)('the Python observer (voxtrace_observer.py)', () => {
  it('sends envelopes the listener turns into the fixture’s trace, then ends the conversation', async () => {
    const out = execFileSync('python3', [script, fixturePath, String(BASE / 1000)], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const frames = out.trim().split('\n');
    expect(frames).toHaveLength(43 + 2); // the fixture, one ErrorFrame, the end; duplicates pushed twice sent once

    const { bridge, vt } = setup();
    const token = 'python-observer-token-0123';
    const listener = await listenForPipecat(bridge, { token });
    const ended = new Promise<ConversationRecord>((resolve) => vt.on('conversation', resolve));
    const ws = new WebSocket(listener.url, { headers: { authorization: `Bearer ${token}` } });
    await new Promise((resolve) => ws.once('open', resolve));
    for (const f of frames) ws.send(f);
    const record = await ended;
    ws.close();
    await listener.close();
    await vt.shutdown();

    expect(record.id).toBe('py-observer');
    expect(record.turns[0]!.e2eLatencyMs).toBe(2900);
    expect(record.turns[0]!.tools.map((t) => [t.callId, t.durationMs])).toEqual([['call_Bk91', 1597]]);
    expect(record.turns[0]!.errors).toEqual([
      expect.objectContaining({
        layer: 'llm',
        recoverable: true,
        message: 'OpenAILLMService#0: upstream timeout',
      }),
    ]);
    expect(record.endedAt).toBe(BASE + 7061);
    expect(listener.stats()).toMatchObject({ envelopes: 45, badFrames: 0 });
    expect(bridge.stats().malformed).toBe(0);
  });
});
