/**
 * Which OpenTelemetry GenAI conventions the spans follow. The GenAI conventions are experimental;
 * their transition plan defines one opt-in, `gen_ai_latest_experimental` in the comma-separated
 * `OTEL_SEMCONV_STABILITY_OPT_IN`: emit the latest experimental conventions and none of the names
 * of v1.36 and earlier. Without it an instrumentation keeps what it emitted; voxtrace emits the
 * latest names plus `gen_ai.system` (v1.36's name of `gen_ai.provider.name`) for backends that
 * still read it.
 */

/** The opt-in value the GenAI conventions define. */
export const GEN_AI_LATEST_EXPERIMENTAL = 'gen_ai_latest_experimental';

/** Longest model name put in a span name (a span name should stay short and low-cardinality). */
const MAX_SPAN_NAME_PART = 100;

/** How spans are named: voxtrace's design (`llm`, `tool_call`) or the GenAI conventions'. */
export type SpanNaming = 'voice' | 'genai';

/** Resolved conventions of a trace sink. */
export interface SpanConventions {
  spanNames: SpanNaming;
  /** Emit `gen_ai.system` beside `gen_ai.provider.name` (false under `gen_ai_latest_experimental`). */
  genAiSystem: boolean;
}

/**
 * The conventions from the options, falling back on `OTEL_SEMCONV_STABILITY_OPT_IN`. Values are
 * compared trimmed; unknown values (another category's, like `http`) are ignored.
 */
export function resolveConventions(
  options: { spanNames?: SpanNaming; semconvStabilityOptIn?: string },
  env: NodeJS.ProcessEnv = process.env,
): SpanConventions {
  const optIn = options.semconvStabilityOptIn ?? env.OTEL_SEMCONV_STABILITY_OPT_IN ?? '';
  const latest = optIn.split(',').some((v) => v.trim() === GEN_AI_LATEST_EXPERIMENTAL);
  return { spanNames: options.spanNames ?? 'voice', genAiSystem: !latest };
}

/** `{operation} {target}` as the GenAI conventions name spans, or the operation alone. */
export function genAiSpanName(operation: string, target: string | null | undefined): string {
  return target ? `${operation} ${target.slice(0, MAX_SPAN_NAME_PART)}` : operation;
}
