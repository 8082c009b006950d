/**
 * An incident document: the `Incident` the monitor reports (`vt.on('incident')`,
 * `vt.monitor.incidents()`) saved as JSON, validated strictly, because a postmortem quotes its figures.
 */
import type { Incident } from '@voxtrace/core';
import { monitorMetricSchema } from '@voxtrace/core';
import type { Layer } from '@voxtrace/core/thresholds';
import { z } from 'zod';

const layer = z.enum([
  'telephony',
  'stt',
  'llm',
  'tool',
  'tts',
  'dialog',
  'turn_detection',
  'network',
] as const satisfies readonly Layer[]);
const severity = z.enum(['SEV-1', 'SEV-2', 'SEV-3']);
const time = z.number().finite().nonnegative();
const count = z.number().int().nonnegative();
const comparator = z.enum(['>', '>=', '<', '<=', '==']);

/** Zod schema of an incident as the monitor reports it. */
export const incidentDocumentSchema = z.object({
  id: z.string().min(1).max(200),
  severity,
  peakSeverity: severity,
  status: z.enum(['investigating', 'identified', 'mitigating', 'resolved']),
  openedAt: time,
  updatedAt: time,
  resolvedAt: time.nullable(),
  triggers: z
    .array(
      z.object({
        rule: z.string().min(1).max(200),
        metric: monitorMetricSchema,
        label: z.string().max(200),
        unit: z.enum(['ms', 'ratio', 'count']),
        severity,
        layer: layer.nullable(),
        value: z.number().finite().nullable(),
        worstValue: z.number().finite().nullable(),
        comparator,
        threshold: z.number().finite(),
        firingSince: time.nullable(),
        firing: z.boolean(),
      }),
    )
    .min(1, 'an incident has at least the rule that opened it')
    .max(500),
  layer: layer.nullable(),
  timeline: z
    .array(
      z.object({
        at: time,
        event: z.enum([
          'detected',
          'opened',
          'rule_firing',
          'rule_resolved',
          'severity_changed',
          'layer_changed',
          'mitigating',
          'relapsed',
          'resolved',
        ]),
        message: z.string().max(5000),
        rule: z.string().max(200).optional(),
        severity: severity.optional(),
        layer: layer.nullable().optional(),
      }),
    )
    .max(1000),
  figures: z.object({
    p90Ms: z.number().finite().nonnegative().nullable(),
    peakWindowP90Ms: z.number().finite().nonnegative().nullable(),
    baselineP90Ms: z.number().finite().nonnegative(),
    baselineSource: z.enum(['baseline', 'target']),
    turns: count,
    callsAffected: count,
    failedCalls: count,
    durationMs: z.number().finite().nonnegative(),
  }),
  update: count,
});

// The schema and core's `Incident` describe the same thing, both ways.
type Parsed = z.infer<typeof incidentDocumentSchema>;
const sameShape: [Parsed extends Incident ? true : false, Incident extends Parsed ? true : false] = [
  true,
  true,
];
void sameShape;

/** Thrown by {@link parseIncident}, with every problem listed. */
export class IncidentDocumentError extends Error {
  override readonly name = 'IncidentDocumentError';
}

/** Parses incident JSON (text or a parsed value); throws an {@link IncidentDocumentError} naming each problem. */
export function parseIncident(input: unknown): Incident {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new IncidentDocumentError(`not JSON: ${(err as Error).message}`);
    }
  }
  const parsed = incidentDocumentSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 20)
    .map((i) => `  ${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  throw new IncidentDocumentError(
    `not a voxtrace incident (as vt.on('incident') reports it):\n${problems.join('\n')}`,
  );
}
