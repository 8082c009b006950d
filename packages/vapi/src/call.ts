/**
 * Readers shared by the live and the report paths: instants, tool calls in Vapi's three shapes, the call's
 * providers and its identifying attributes.
 */
import type { EventAttributes } from '@voxtrace/core';
import type { z } from 'zod';
import { VAPI_CALL_ATTR } from './attributes.js';
import type { assistantSchema, costSchema, VapiMessage, VapiToolCall } from './schemas.js';

/** Epoch ms of an ISO 8601 string or epoch-ms number; `null` when absent or not a date. */
export function toEpochMs(value: string | number | undefined | null): number | null {
  if (value === undefined || value === null) return null;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/** A tool call reduced to what a `tool.started` event needs. */
export interface ToolCallInfo {
  id: string;
  name: string;
  arguments: unknown;
}

/**
 * Reads a tool call in any of Vapi's shapes: `function.arguments` (a JSON string in the SDK type),
 * `arguments` (an object in the custom-tools docs) or `parameters` (events docs, `function.parameters`).
 */
export function readToolCall(call: VapiToolCall): ToolCallInfo {
  const fn = call.function;
  const raw = fn?.arguments ?? call.arguments ?? fn?.parameters ?? call.parameters;
  return { id: call.id, name: toolName(fn?.name ?? call.name), arguments: parseJsonString(raw) };
}

/** A name core accepts (1–200 characters). */
export function toolName(name: string | undefined): string {
  const n = name?.trim() || 'unknown';
  return n.slice(0, 200);
}

function parseJsonString(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

type Assistant = z.infer<typeof assistantSchema>;
type Cost = z.infer<typeof costSchema>;

/** Provider and model of each pipeline component, for the span attributes core sets from events. */
export interface Providers {
  llm: { provider?: string; model?: string };
  stt: { provider?: string; model?: string };
  tts: { provider?: string; model?: string; voice?: string };
}

/** Providers from the assistant (the message's, else the call's), falling back on the `costs` entries. */
export function readProviders(message: VapiMessage, costs: readonly Cost[] = []): Providers {
  const a: Assistant | undefined = message.assistant ?? message.call?.assistant;
  const cost = (type: string) => costs.find((c) => c.type === type);
  const llm = a?.model ?? cost('model')?.model;
  const stt = a?.transcriber ?? cost('transcriber')?.transcriber;
  const voice = a?.voice;
  const voiceCost = cost('voice')?.voice;
  const voiceId = voice?.voiceId ?? voiceCost?.voiceId;
  return {
    llm: short({ provider: llm?.provider, model: llm?.model }),
    stt: short({ provider: stt?.provider, model: stt?.model }),
    tts: short({
      provider: voice?.provider ?? voiceCost?.provider,
      model: voice?.model,
      voice: typeof voiceId === 'string' || typeof voiceId === 'number' ? String(voiceId) : undefined,
    }),
  };
}

/** Drops unset fields and caps lengths at core's 200 characters. */
function short<T extends Record<string, string | undefined>>(o: T): T {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) if (v) out[k] = v.slice(0, 200);
  return out as T;
}

/** Attributes that identify the call on the `conversation` span (never the customer's number). */
export function callAttributes(message: VapiMessage): EventAttributes {
  const call = message.call;
  const a: EventAttributes = {};
  const set = (key: string, value: string | undefined) => {
    if (value) a[key] = value.slice(0, 200);
  };
  set(VAPI_CALL_ATTR.callType, call?.type);
  set(VAPI_CALL_ATTR.assistantId, call?.assistantId);
  set(VAPI_CALL_ATTR.assistantName, message.assistant?.name ?? call?.assistant?.name);
  set(VAPI_CALL_ATTR.phoneCallProvider, call?.phoneCallProvider);
  set(VAPI_CALL_ATTR.phoneCallTransport, call?.phoneCallTransport);
  return a;
}
