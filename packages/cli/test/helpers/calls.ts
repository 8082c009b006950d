/**
 * Realistic voice calls recorded through a real voxtrace instance: each turn's timing (user speech,
 * STT, endpointing, LLM, optional tool round-trip, TTS, agent speech) is given in ms, and the events
 * carry their own times, as adapters send them.
 */
import type { ConversationHandle, Voxtrace } from '@voxtrace/core';

/** One turn's timing, ms. */
export interface TurnTiming {
  userMs: number;
  sttMs: number;
  endpointingMs: number;
  ttftMs: number;
  generationMs: number;
  ttsTtfbMs: number;
  agentMs: number;
  /** A tool call between a first LLM call and the answering one. */
  tool?: { name: string; ms: number };
  transcript?: string;
  /** The LLM call fails (the agent still answers with a fallback). */
  llmError?: string;
}

/** A healthy turn, with small variations by `i`. */
export function healthyTurn(i: number, overrides: Partial<TurnTiming> = {}): TurnTiming {
  return {
    userMs: 1200 + (i % 3) * 300,
    sttMs: 140 + (i % 4) * 20,
    endpointingMs: 250 + (i % 2) * 60,
    ttftMs: 380 + (i % 5) * 40,
    generationMs: 900,
    ttsTtfbMs: 120 + (i % 3) * 15,
    agentMs: 2200 + (i % 4) * 250,
    transcript: [
      'I need to change my booking',
      'for Friday please',
      'yes, the 3 pm one',
      'thanks, that is all',
    ][i % 4],
    ...overrides,
  };
}

/** When each turn's key moments happened (epoch ms), for assertions. */
export interface RecordedTurn {
  userSpeechStartedAt: number;
  userSpeechEndedAt: number;
  agentSpeechStartedAt: number;
  agentSpeechEndedAt: number;
}

/** Records `turns` on `conv` from `startAt`; returns each turn's moments and the time the last one ends. */
export function recordTurns(
  conv: ConversationHandle,
  startAt: number,
  turns: TurnTiming[],
): { turns: RecordedTurn[]; endAt: number } {
  let t = startAt;
  const out: RecordedTurn[] = [];
  for (const [i, turn] of turns.entries()) {
    const r = (type: string, at: number, extra: object = {}) =>
      conv.record({ type, at: Math.round(at), ...extra } as never);
    const userStart = t;
    const userEnd = userStart + turn.userMs;
    r('user.speech.started', userStart);
    r('stt.partial', userStart + turn.userMs / 2, { transcript: '…', provider: 'deepgram', model: 'nova-3' });
    r('user.speech.ended', userEnd);
    const sttEnd = userEnd + turn.sttMs;
    r('stt.final', sttEnd, {
      transcript: turn.transcript ?? `turn ${i + 1}`,
      confidence: 0.93,
      provider: 'deepgram',
      model: 'nova-3',
    });
    const eou = userEnd + turn.endpointingMs;
    r('turn.end_detected', eou, { delayMs: turn.endpointingMs });
    let llmStart = Math.max(sttEnd, eou) + 15;
    if (turn.tool) {
      r('llm.started', llmStart, { provider: 'openai', model: 'gpt-4o-mini' });
      r('llm.first_token', llmStart + turn.ttftMs);
      r('llm.ended', llmStart + turn.ttftMs + 120, { inputTokens: 800, outputTokens: 30 });
      const toolStart = llmStart + turn.ttftMs + 130;
      r('tool.started', toolStart, {
        name: turn.tool.name,
        callId: `call-${i}`,
        arguments: { day: 'Friday' },
      });
      r('tool.ended', toolStart + turn.tool.ms, {
        name: turn.tool.name,
        callId: `call-${i}`,
        result: { ok: true },
      });
      llmStart = toolStart + turn.tool.ms + 10;
    }
    r('llm.started', llmStart, { provider: 'openai', model: 'gpt-4o-mini' });
    const firstToken = llmStart + turn.ttftMs;
    r('llm.first_token', firstToken);
    const ttsStart = firstToken + 10;
    r('tts.started', ttsStart, { provider: 'cartesia', model: 'sonic-2', voice: 'warm', characters: 120 });
    const firstAudio = ttsStart + turn.ttsTtfbMs;
    r('tts.first_audio', firstAudio);
    const agentStart = firstAudio + 15;
    r('agent.speech.started', agentStart);
    r('llm.ended', firstToken + turn.generationMs, {
      inputTokens: 900,
      outputTokens: 60,
      ...(turn.llmError ? { error: turn.llmError } : {}),
    });
    r('tts.ended', firstAudio + Math.min(600, turn.agentMs / 2));
    const agentEnd = agentStart + turn.agentMs;
    r('agent.speech.ended', agentEnd);
    out.push({
      userSpeechStartedAt: userStart,
      userSpeechEndedAt: userEnd,
      agentSpeechStartedAt: agentStart,
      agentSpeechEndedAt: agentEnd,
    });
    t = agentEnd + 700;
  }
  return { turns: out, endAt: t };
}

/** Starts a conversation on `vt`, records `turns` and ends it (unless `end` is false). */
export function recordCall(
  vt: Voxtrace,
  options: { id: string; platform?: string; startedAt: number; turns: TurnTiming[]; end?: boolean },
): { conv: ConversationHandle; turns: RecordedTurn[]; endAt: number } {
  const conv = vt.startConversation({
    id: options.id,
    platform: options.platform ?? 'livekit',
    startedAt: options.startedAt,
  });
  const rec = recordTurns(conv, options.startedAt + 300, options.turns);
  if (options.end !== false) conv.end({ outcome: 'completed', taskCompleted: true, endedAt: rec.endAt });
  return { conv, ...rec };
}
