// The OpenTelemetry GenAI names, from @opentelemetry/semantic-conventions (a dev dependency: no
// network at test time), to check every `gen_ai.*` attribute voxtrace emits against.
import * as incubating from '@opentelemetry/semantic-conventions/incubating';

const constants = Object.entries(incubating as Record<string, unknown>);

/** Every `gen_ai.*` attribute name the package exports (`ATTR_GEN_AI_*`). */
export const GEN_AI_ATTRIBUTES: ReadonlySet<string> = new Set(
  constants
    .filter(([k, v]) => k.startsWith('ATTR_GEN_AI_') && typeof v === 'string')
    .map(([, v]) => v as string),
);

/** The well-known values of `gen_ai.operation.name`. */
export const GEN_AI_OPERATIONS: ReadonlySet<string> = new Set(
  constants
    .filter(([k, v]) => k.startsWith('GEN_AI_OPERATION_NAME_VALUE_') && typeof v === 'string')
    .map(([, v]) => v as string),
);

/** `gen_ai.*` keys of `attributes` objects that are not OpenTelemetry names, sorted, without repeats. */
export function unknownGenAiKeys(attributes: Iterable<Record<string, unknown>>): string[] {
  const unknown = new Set<string>();
  for (const a of attributes)
    for (const k of Object.keys(a)) if (k.startsWith('gen_ai.') && !GEN_AI_ATTRIBUTES.has(k)) unknown.add(k);
  return [...unknown].sort();
}

/** Every `gen_ai.*` key of `attributes` objects, sorted, without repeats. */
export function genAiKeys(attributes: Iterable<Record<string, unknown>>): string[] {
  const keys = new Set<string>();
  for (const a of attributes) for (const k of Object.keys(a)) if (k.startsWith('gen_ai.')) keys.add(k);
  return [...keys].sort();
}
