/**
 * Call-level figures of a Retell call object → conversation attributes and `end()` options. Units are
 * converted here, once: Retell's latencies are milliseconds, its costs cents, its timestamps epoch ms.
 * Phone numbers, metadata, dynamic variables, recording and log URLs are personal or sensitive and are
 * not copied.
 */
import type { EndOptions, ErrorLayer, EventAttributes } from '@voxtrace/core';
import type { z } from 'zod';
import { mapDisconnectionReason } from './disconnection.js';
import {
  describeIssues,
  type RetellCall,
  retellCallAnalysisSchema,
  retellCallCostSchema,
  retellLatencySchema,
  retellProductCostSchema,
  retellTokenUsageSchema,
} from './schema.js';

/** Collects what could not be read, for one diagnostic per delivery. */
export type Problems = string[];

/** Parses an optional part of the call; a bad part is noted in `problems` and skipped. */
export function part<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: string,
  problems: Problems,
): z.infer<T> | undefined {
  if (value === undefined || value === null) return undefined;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  problems.push(describeIssues(r.error, where));
  return undefined;
}

// Attribute keys are built from Retell's own latency and product names: keep them tame.
const KEY = /^[a-z0-9_]{1,64}$/;
const MAX_KEYED = 24;

/** Attributes known when the call starts (agent, call type, direction). */
export function callStartAttributes(call: RetellCall): EventAttributes {
  const a: EventAttributes = {};
  set(a, 'retell.agent_id', call.agent_id);
  set(a, 'retell.agent_version', call.agent_version);
  set(a, 'retell.agent_name', call.agent_name);
  set(a, 'retell.call_type', call.call_type);
  set(a, 'retell.direction', call.direction);
  return a;
}

/** Attributes known when the call has ended: status, reason, duration, cost, latency summaries, analysis. */
export function callEndAttributes(call: RetellCall, problems: Problems): EventAttributes {
  const a: EventAttributes = callStartAttributes(call);
  set(a, 'retell.call_status', call.call_status);
  set(a, 'retell.disconnection_reason', call.disconnection_reason);
  set(a, 'retell.duration_ms', durationMs(call));

  const cost = part(retellCallCostSchema, call.call_cost, 'call.call_cost', problems);
  if (cost) {
    set(a, 'retell.cost.combined_cents', cost.combined_cost);
    set(a, 'retell.cost.total_duration_seconds', cost.total_duration_seconds);
    (cost.product_costs ?? []).slice(0, MAX_KEYED).forEach((item, i) => {
      const p = part(retellProductCostSchema, item, `call.call_cost.product_costs.${i}`, problems);
      if (p && KEY.test(p.product)) a[`retell.cost.product.${p.product}_cents`] = p.cost;
    });
  }

  for (const [key, value] of Object.entries(call.latency ?? {}).slice(0, MAX_KEYED)) {
    if (!KEY.test(key)) continue;
    const l = part(retellLatencySchema, value, `call.latency.${key}`, problems);
    if (!l) continue;
    for (const stat of ['p50', 'p90', 'p95', 'p99', 'min', 'max'] as const) {
      set(a, `retell.latency.${key}.${stat}_ms`, l[stat]);
    }
    set(a, `retell.latency.${key}.num`, l.num);
  }

  const usage = part(retellTokenUsageSchema, call.llm_token_usage, 'call.llm_token_usage', problems);
  set(a, 'retell.llm_token_usage.average', usage?.average);
  set(a, 'retell.llm_token_usage.num_requests', usage?.num_requests);

  const analysis = analysisOf(call, problems);
  set(a, 'retell.analysis.call_successful', analysis?.call_successful);
  set(a, 'retell.analysis.user_sentiment', analysis?.user_sentiment);
  set(a, 'retell.analysis.in_voicemail', analysis?.in_voicemail);
  return a;
}

/** `call_analysis`, when the payload has one. */
export function analysisOf(call: RetellCall, problems: Problems) {
  return part(retellCallAnalysisSchema, call.call_analysis, 'call.call_analysis', problems);
}

/** The call's end time: `end_timestamp`, else start + duration. */
export function endTimestamp(call: RetellCall): number | undefined {
  if (call.end_timestamp != null) return call.end_timestamp;
  if (call.start_timestamp != null && call.duration_ms != null)
    return call.start_timestamp + call.duration_ms;
  return undefined;
}

function durationMs(call: RetellCall): number | undefined {
  if (call.duration_ms != null) return call.duration_ms;
  if (call.start_timestamp != null && call.end_timestamp != null) {
    return Math.max(0, call.end_timestamp - call.start_timestamp);
  }
  return undefined;
}

/** How the call ended, from `disconnection_reason` and the analysis. */
export interface CallEnding {
  options: EndOptions;
  /** The failure to record as an `error` event, when the call ended on one. */
  error: { layer: ErrorLayer; message: string } | null;
}

/**
 * End options of a finished call: outcome from `disconnection_reason` (voicemail also from
 * `call_analysis.in_voicemail`), `taskCompleted` from `call_analysis.call_successful`, `endedAt` from
 * `end_timestamp`, and the call-level attributes.
 */
export function callEnding(call: RetellCall, problems: Problems): CallEnding {
  const mapped = mapDisconnectionReason(call.disconnection_reason);
  const analysis = analysisOf(call, problems);
  let outcome = mapped?.outcome;
  if (analysis?.in_voicemail === true && (outcome === undefined || outcome === 'completed'))
    outcome = 'voicemail';
  const options: EndOptions = { attributes: callEndAttributes(call, problems) };
  if (outcome) options.outcome = outcome;
  if (typeof analysis?.call_successful === 'boolean') options.taskCompleted = analysis.call_successful;
  const endedAt = endTimestamp(call);
  if (endedAt !== undefined) options.endedAt = endedAt;
  const error =
    mapped?.errorLayer && call.disconnection_reason
      ? { layer: mapped.errorLayer, message: `Retell disconnection_reason: ${call.disconnection_reason}` }
      : null;
  return { options, error };
}

function set(a: EventAttributes, key: string, value: string | number | boolean | null | undefined): void {
  if (value !== null && value !== undefined && (typeof value !== 'number' || Number.isFinite(value)))
    a[key] = value;
}
