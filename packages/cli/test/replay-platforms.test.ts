/**
 * `voxtrace replay` on what each platform actually sends, through the real adapters: a Vapi
 * end-of-call-report, Retell call_analyzed / call_ended bodies, Pipecat RTVI streams (the recorded
 * fixture format, the observer's envelopes as JSON lines, timed records), and a LiveKit session
 * recorded from a real `AgentSession` as a voxtrace fixture. Fixtures that breach and that don't;
 * exit codes 0, 1 and 2.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Agent, AgentSession, initializeLogger, llm } from '@livekit/agents';
import { type ConversationRecord, createVoxtrace, toFixture } from '@voxtrace/core';
import { instrumentAgentSession } from '@voxtrace/livekit';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ChunkedFakeTTS,
  EnergyVAD,
  RealtimeAudioOutput,
  ScriptedAudioInput,
  UsageLLM,
  UsageSTT,
} from '../../../examples/livekit/fakes.mjs';
import { CLI, ensureBuilt } from '../../../test/helpers/built.js';

// These tests run the built packages as users do (`npm test` builds first; a lone file builds if stale).
beforeAll(ensureBuilt, 600_000);

const exec = promisify(execFile);
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const SHARED = resolve(REPO, 'fixtures');
const VAPI = join(SHARED, 'vapi/vapi-end-of-call-report.json');
const RETELL_ANALYZED = join(SHARED, 'retell/retell-call_analyzed.json');
const RETELL_ENDED = join(SHARED, 'retell/retell-call_ended-docs-sample.json');
const PIPECAT_1 = join(SHARED, 'pipecat/01-three-turns-function-call-full.json');
const PIPECAT_2 = join(SHARED, 'pipecat/02-function-call-default-report-level.json');

async function voxtrace(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, 'replay', ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The JSON report of a replay. */
async function report(...args: string[]) {
  const r = await voxtrace(...args, '--json');
  return { code: r.code, stderr: r.stderr, json: r.code === 2 ? null : JSON.parse(r.stdout) };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'voxtrace-replay-platforms-'));
});

describe('Vapi: an end-of-call-report body through @voxtrace/vapi', () => {
  it("replays the call's turns with the latency the caller felt; a limit above it passes", async () => {
    const r = await report(VAPI, '--assert-turn-latency', '6000');
    expect(r.code).toBe(0);
    expect(r.json.conversations).toEqual([
      {
        file: VAPI,
        format: 'vapi',
        platform: 'vapi',
        id: '73a6da0f-c455-4bb6-bf4a-5f0634871430',
        turns: 3,
        worstTurnMs: 5470,
        outcome: 'completed',
      },
    ]);
    expect(r.json.turnLatenciesMs).toEqual([5470]);
  });

  it('a limit below it breaches: exit 1, naming the call and the turn', async () => {
    const r = await voxtrace(VAPI, '--assert-turn-latency', '5000');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /BREACH .*vapi-end-of-call-report\.json: 73a6da0f-c455-4bb6-bf4a-5f0634871430 turn 2 took 5470 ms > 5000 ms/,
    );
  });

  it('takes the bare message too, and a list of deliveries of one call', async () => {
    const body = JSON.parse(await readFile(VAPI, 'utf8'));
    await writeFile(join(dir, 'vapi-message.json'), JSON.stringify(body.message));
    await writeFile(join(dir, 'vapi-list.json'), JSON.stringify([body, body]));
    for (const f of ['vapi-message.json', 'vapi-list.json']) {
      const r = await report(join(dir, f));
      expect(r.code, f).toBe(0);
      // A repeated report is not recorded twice.
      expect(
        r.json.conversations.map((c: { worstTurnMs: number }) => c.worstTurnMs),
        f,
      ).toEqual([5470]);
    }
  });
});

describe('Retell: call_analyzed and call_ended bodies through @voxtrace/retell', () => {
  it('replays the transcript turns of call_analyzed, passing and breaching on the limit', async () => {
    const ok = await report(RETELL_ANALYZED, '--assert-turn-latency', '1000', '--assert-p90', '1000');
    expect(ok.code).toBe(0);
    expect(ok.json.conversations[0]).toMatchObject({
      format: 'retell',
      platform: 'retell',
      id: 'Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6',
      turns: 3,
      worstTurnMs: 600,
    });
    expect(ok.json.turnLatenciesMs).toEqual([400, 600]);
    const slow = await voxtrace(RETELL_ANALYZED, '--assert-p90', '500');
    expect(slow.code).toBe(1);
    expect(slow.stdout).toContain('BREACH P90 turn latency 600 ms > 500 ms');
  });

  it('ends a call_ended without its analysis; both events of one call make one conversation', async () => {
    const ended = await report(RETELL_ENDED);
    expect(ended.code).toBe(0);
    expect(ended.json.conversations).toHaveLength(1);
    expect(ended.json.conversations[0]).toMatchObject({ platform: 'retell', format: 'retell' });
    const both = [
      JSON.parse(await readFile(RETELL_ENDED, 'utf8')),
      JSON.parse(await readFile(RETELL_ANALYZED, 'utf8')),
    ];
    await writeFile(join(dir, 'retell-both.json'), JSON.stringify(both));
    const r = await report(join(dir, 'retell-both.json'));
    expect(r.code).toBe(0);
    expect(r.json.conversations).toHaveLength(1);
  });

  it('an event the adapter refuses is unusable input: exit 2 with the reason', async () => {
    await writeFile(
      join(dir, 'retell-bad.json'),
      JSON.stringify({ event: 'call_analyzed', call: { agent_id: 'a' } }),
    );
    const r = await voxtrace(join(dir, 'retell-bad.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/retell-bad\.json: Retell event #1: .*call_id/);
  });
});

describe('Pipecat: RTVI streams through @voxtrace/pipecat-bridge', () => {
  it('replays the recorded fixtures (records timed from the session start)', async () => {
    const r = await report(PIPECAT_1, PIPECAT_2, '--assert-turn-latency', '3000');
    expect(r.code).toBe(0);
    expect(
      r.json.conversations.map((c: { turns: number; worstTurnMs: number }) => [c.turns, c.worstTurnMs]),
    ).toEqual([
      [3, 2060],
      [1, 2900],
    ]);
    expect(r.json.turnLatenciesMs).toEqual([2060, 750, 2900]);
    const breach = await voxtrace(PIPECAT_1, PIPECAT_2, '--assert-turn-latency', '2500');
    expect(breach.code).toBe(1);
    expect(breach.stdout).toMatch(
      /BREACH .*02-function-call-default-report-level\.json: .* turn 1 took 2900 ms > 2500 ms/,
    );
  });

  it("replays the observer's envelopes as JSON lines, and timed records as a JSON array, alike", async () => {
    const doc = JSON.parse(await readFile(PIPECAT_1, 'utf8')) as {
      events: { at_ms: number; message: unknown }[];
    };
    const base = Date.UTC(2026, 7, 21, 16, 51);
    const envelopes = [
      ...doc.events.map((e) => ({
        conversation_id: 'pc-1',
        ts: (base + e.at_ms) / 1000,
        message: e.message,
      })),
      { conversation_id: 'pc-1', ts: (base + doc.events.at(-1)!.at_ms + 500) / 1000, end: true },
    ];
    await writeFile(join(dir, 'pipecat.jsonl'), envelopes.map((e) => JSON.stringify(e)).join('\n'));
    await writeFile(join(dir, 'pipecat-records.json'), JSON.stringify(doc.events));
    const lines = await report(join(dir, 'pipecat.jsonl'));
    const records = await report(join(dir, 'pipecat-records.json'));
    expect(lines.code).toBe(0);
    expect(lines.json.conversations[0]).toMatchObject({
      id: 'pc-1',
      platform: 'pipecat',
      turns: 3,
      outcome: 'completed',
    });
    expect(lines.json.turnLatenciesMs).toEqual([2060, 750]);
    expect(records.json.turnLatenciesMs).toEqual([2060, 750]);
  });

  it('refuses bare RTVI messages, which carry no time: exit 2 with the reason', async () => {
    const doc = JSON.parse(await readFile(PIPECAT_1, 'utf8')) as { events: { message: unknown }[] };
    await writeFile(join(dir, 'rtvi.json'), JSON.stringify(doc.events.map((e) => e.message)));
    const r = await voxtrace(join(dir, 'rtvi.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bare RTVI messages carry no time/);
  });
});

describe('LiveKit: a session recorded from a real AgentSession as a voxtrace fixture', () => {
  let live: ConversationRecord;
  let file: string;

  beforeAll(async () => {
    initializeLogger({ pretty: false, level: 'silent' });
    const vt = createVoxtrace({ otlp: false, metrics: false, monitor: false });
    const ended = new Promise<ConversationRecord>((done) => vt.on('conversation', done));
    const speeches = [
      { startTime: 200, endTime: 800, transcript: 'hello there', sttDelay: 150 },
      { startTime: 3000, endTime: 3700, transcript: 'what is the weather in Paris', sttDelay: 180 },
    ];
    const input = new ScriptedAudioInput(speeches.map((s) => ({ startMs: s.startTime, endMs: s.endTime })));
    const session = new AgentSession({
      stt: new UsageSTT(speeches),
      vad: new EnergyVAD(),
      llm: new UsageLLM([
        {
          input: 'hello there',
          content: 'Hi! How can I help?',
          ttftMs: 150,
          durationMs: 250,
          promptTokens: 20,
          completionTokens: 7,
        },
        {
          input: 'what is the weather in Paris',
          toolCalls: [{ name: 'get_weather', args: { city: 'Paris' } }],
          ttftMs: 100,
          durationMs: 150,
          promptTokens: 30,
          completionTokens: 9,
        },
        {
          input: '"sunny, 21C"',
          content: 'It is sunny and 21C.',
          ttftMs: 120,
          durationMs: 200,
          promptTokens: 45,
          completionTokens: 10,
        },
      ]),
      tts: new ChunkedFakeTTS(),
      turnHandling: { turnDetection: 'vad', endpointing: { minDelay: 300, maxDelay: 1500 } },
      userAwayTimeout: null,
    });
    session.input.audio = input;
    session.output.audio = new RealtimeAudioOutput();
    instrumentAgentSession(session, vt, { conversationId: 'lk-recorded-1' });
    const getWeather = llm.tool({
      description: 'Current weather in a city',
      parameters: z.object({ city: z.string() }),
      execute: async () => 'sunny, 21C',
    });
    let replies = 0;
    const twoReplies = new Promise<void>((done) =>
      (session as unknown as { on(e: string, f: (ev: { item: { role?: string } }) => void): void }).on(
        'conversation_item_added',
        (ev) => {
          if (ev.item.role === 'assistant' && ++replies === 2) done();
        },
      ),
    );
    await session.start({ agent: new Agent({ instructions: 'test', tools: { get_weather: getWeather } }) });
    input.start();
    await twoReplies;
    await input.stop();
    await session.close();
    live = await ended;
    await vt.shutdown();
    file = join(dir, 'livekit-session.json');
    await writeFile(file, JSON.stringify(toFixture(live), null, 2));
  }, 60_000);

  it('replays with the turns and latencies the live session had', async () => {
    expect(live.platform).toBe('livekit');
    const latencies = live.turns.map((t) => t.e2eLatencyMs).filter((v): v is number => v !== null);
    expect(latencies.length).toBeGreaterThanOrEqual(2);
    const worst = Math.max(...latencies);
    const r = await report(file, '--assert-turn-latency', String(worst));
    expect(r.code).toBe(0);
    expect(r.json.conversations[0]).toMatchObject({
      id: 'lk-recorded-1',
      platform: 'livekit',
      format: 'fixture',
      turns: live.turnCount,
      worstTurnMs: worst,
    });
    expect(r.json.turnLatenciesMs).toEqual(latencies);
    const breach = await voxtrace(file, '--assert-turn-latency', String(worst - 1));
    expect(breach.code).toBe(1);
    expect(breach.stdout).toMatch(/BREACH .*lk-recorded-1 turn \d+ took \d+ ms/);
  });
});

describe('every platform in one run (for CI)', () => {
  it('computes the P90 over every turn of every file; unusable files exit 2', async () => {
    const all = [VAPI, RETELL_ANALYZED, PIPECAT_1, PIPECAT_2];
    // Turns: 5470, 400, 600, 2060, 750, 2900 → nearest-rank P90 is the 6th of 6.
    const ok = await voxtrace(...all, '--assert-p90', '5500');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('P90 turn latency: 5470 ms over 6 turns');
    expect((await voxtrace(...all, '--assert-p90', '5000')).code).toBe(1);

    await writeFile(
      join(dir, 'mixed.json'),
      JSON.stringify([
        JSON.parse(await readFile(RETELL_ENDED, 'utf8')),
        { message: { type: 'end-of-call-report' } },
      ]),
    );
    const mixed = await voxtrace(join(dir, 'mixed.json'));
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/mixes formats \(retell, vapi\)/);
    await writeFile(join(dir, 'unknown.json'), JSON.stringify({ hello: 'world' }));
    const unknown = await voxtrace(join(dir, 'unknown.json'), VAPI);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /unknown\.json: expected a voxtrace fixture, a Vapi end-of-call-report body/,
    );
    expect((await voxtrace(VAPI, '--assert-p90', '-3')).code).toBe(2);
    expect((await voxtrace(VAPI, '--no-such-option')).code).toBe(2);
  });
});
