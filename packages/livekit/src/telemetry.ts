/**
 * One tracer provider for LiveKit's telemetry and voxtrace, so LiveKit's spans (`agent_session`,
 * `agent_turn`, `llm_node`, …) and voxtrace's (`conversation`, `turn`, …) go to the same OTLP endpoint.
 *
 * voxtrace's own provider is built with a LiveKit `FanoutSpanProcessor` among its processors and handed
 * to `telemetry.setTracerProvider` with `registerSpanProcessor`: OpenTelemetry 2.x providers take
 * processors only at construction, and this is how LiveKit installs its PII filter (and, on LiveKit
 * Cloud, its metadata processor and cloud exporter) on a provider it does not own. Without the
 * registrar LiveKit only warns and exports conversational content unfiltered; with a provider that is
 * merely registered globally, LiveKit Cloud's setup replaces it and LiveKit's spans stop reaching it.
 */
import type { telemetry } from '@livekit/agents';
import { type Attributes, context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createVoxtrace, type Voxtrace, type VoxtraceOptions } from '@voxtrace/core';

type SpanProcessor = NonNullable<VoxtraceOptions['spanProcessors']>[number];

/** LiveKit's side of {@link createVoxtraceForLiveKit}. */
export interface LiveKitTelemetryOptions {
  /** LiveKit's telemetry namespace: `import { telemetry } from '@livekit/agents'`. */
  telemetry: Pick<typeof telemetry, 'setTracerProvider' | 'FanoutSpanProcessor'>;
  /**
   * Whether LiveKit's spans may carry conversational content (`lk.pii.*`, GenAI messages) to your
   * exporter. Default: LiveKit's (`LIVEKIT_TELEMETRY_ALLOW_PII`, else `true`). `false` makes LiveKit's
   * filter strip them; it applies to every span of the provider, voxtrace's GenAI content keys included.
   */
  allowPii?: boolean;
  /** Attributes LiveKit adds to every span of the provider (room and job ids, say). */
  metadata?: Attributes;
}

/** Options of {@link createVoxtraceForLiveKit}: voxtrace's, plus LiveKit's side. */
export interface VoxtraceForLiveKitOptions extends Omit<VoxtraceOptions, 'tracerProvider'> {
  livekit: LiveKitTelemetryOptions;
}

/**
 * Creates a voxtrace instance whose tracer provider LiveKit's telemetry uses too: one OTLP export
 * (voxtrace's `otlp` option, or the `OTEL_EXPORTER_OTLP_*` environment), one `service.name`, LiveKit's
 * PII filter and, on LiveKit Cloud, its cloud exporter attached through a fan-out processor. Also
 * installs an `AsyncLocalStorage` context manager when none is, as LiveKit's span nesting needs one.
 * Call it once per process, before sessions start; `vt.shutdown()` flushes both kinds of spans.
 *
 * ```ts
 * import { telemetry } from '@livekit/agents';
 * const vt = createVoxtraceForLiveKit({ serviceName: 'support-agent', livekit: { telemetry } });
 * ```
 */
export function createVoxtraceForLiveKit(options: VoxtraceForLiveKitOptions): Voxtrace {
  const { livekit, ...voxtraceOptions } = options;
  const fanout = new livekit.telemetry.FanoutSpanProcessor();
  const vt = createVoxtrace({
    ...voxtraceOptions,
    // LiveKit's processor is typed against its own copy of the OpenTelemetry SDK (same major).
    spanProcessors: [...(voxtraceOptions.spanProcessors ?? []), fanout as unknown as SpanProcessor],
  });
  ensureContextManager();
  livekit.telemetry.setTracerProvider(vt.tracerProvider, {
    registerSpanProcessor: (processor) => fanout.add(processor),
    allowPii: livekit.allowPii,
    metadata: livekit.metadata,
  });
  return vt;
}

/** Installs an `AsyncLocalStorage` context manager unless the application already has one. */
function ensureContextManager(): void {
  const manager = new AsyncLocalStorageContextManager();
  if (!context.setGlobalContextManager(manager.enable())) manager.disable();
}
