/**
 * `function_tools_executed` → `tool.started` / `tool.ended` pairs. The event carries no durations;
 * LiveKit resets each `FunctionCall.createdAt` to the start of its execution and stamps the
 * `FunctionCallOutput` when it is produced, so their difference is the tool's run time (epoch ms).
 */
import type { VoiceEvent } from '@voxtrace/core';
import { bounded } from './attributes.js';
import type { FunctionToolsExecutedEvent } from './livekit.js';

/** Longest error text taken from a failed tool's output. */
const MAX_ERROR_CHARS = 1000;

/** LiveKit passes arguments and outputs as JSON text; spans show the value (under the content policy). */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** One `tool.started` and one `tool.ended` per call; a call without output ended cancelled. */
export function toolEvents(ev: FunctionToolsExecutedEvent): VoiceEvent[] {
  const events: VoiceEvent[] = [];
  ev.functionCalls.forEach((call, i) => {
    const out = ev.functionCallOutputs[i];
    const name = bounded(call.name || 'unknown');
    const callId = bounded(call.callId || call.id);
    events.push({ type: 'tool.started', at: call.createdAt, name, callId, arguments: parsed(call.args) });
    if (!out) {
      events.push({ type: 'tool.ended', at: ev.createdAt, name, callId, cancelled: true });
      return;
    }
    const endedAt = Math.max(call.createdAt, out.createdAt);
    const result = parsed(out.output);
    events.push(
      out.isError
        ? {
            type: 'tool.ended',
            at: endedAt,
            name,
            callId,
            result,
            error: (typeof result === 'string' ? result : out.output).slice(0, MAX_ERROR_CHARS) || true,
          }
        : { type: 'tool.ended', at: endedAt, name, callId, result },
    );
  });
  return events;
}
