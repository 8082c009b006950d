/**
 * Diagnostics: how voxtrace reports what went wrong without throwing into the host agent.
 * Every diagnostic is counted by code and handed to the user's `onDiagnostic` callback.
 */

/** Why something was counted. */
export type DiagnosticCode =
  /** An event failed validation and was dropped. */
  | 'invalid_event'
  /** The same event arrived twice; the copy was dropped. */
  | 'duplicate_event'
  /** An event arrived after its turn was finalized; dropped. */
  | 'late_event'
  /** An end without its start (e.g. `llm.ended` without `llm.started`); kept with an unknown start. */
  | 'missing_start'
  /** Agent audio before the end of user speech: the turn's latency is left unknown. */
  | 'negative_latency'
  /** An event for a conversation that already ended; dropped. */
  | 'after_end'
  /** The open-conversation cap was reached; the least recently active one was closed. */
  | 'conversation_evicted'
  /** A sink (trace, metrics, monitor, user sink) threw; the others still ran. */
  | 'sink_error'
  /** A user callback (`onDiagnostic`, an `on()` listener) threw. */
  | 'callback_error'
  /** The span exporter failed to deliver a batch. */
  | 'export_failed'
  /** The span export queue was full (the collector is down or slow); spans were dropped and counted. */
  | 'spans_dropped'
  /** Shutdown or flush did not finish in time. */
  | 'flush_timeout'
  /** Shutdown ended export requests still in flight or waiting to retry, and dropped spans still queued. */
  | 'export_abandoned'
  /** A public function got an argument it cannot use: the call used defaults for it, or did nothing. */
  | 'invalid_argument'
  /** An adapter-specific problem (bad webhook payload, unknown message). */
  | 'adapter_error'
  /** A deprecated option, flag or name was used; reported once per process (see CONTRIBUTING.md). */
  | 'deprecated'
  /** Your content redactor threw or returned something other than a string; that text was dropped. */
  | 'redactor_error'
  /** Your content redactor took longer than `redactTimeoutMs`; its output was dropped and it is paused. */
  | 'redactor_slow';

/** A diagnostic: a code, a human-readable message and, where known, the conversation. */
export interface Diagnostic {
  code: DiagnosticCode;
  message: string;
  conversationId?: string;
  /** The offending input or error, for debugging. Not sent anywhere. */
  detail?: unknown;
}

/** Receives diagnostics. Must not throw; if it does, the error is swallowed. */
export type DiagnosticHandler = (diagnostic: Diagnostic) => void;

const warnedDeprecations = new Set<string>();

/**
 * Reports that a deprecated name was used, once per process and name, as a `deprecated` diagnostic that names
 * the replacement. The old name keeps working until the major given; see "Deprecation" in CONTRIBUTING.md.
 * Never throws, even when the handler does.
 */
export function warnDeprecated(
  onDiagnostic: DiagnosticHandler,
  deprecation: { name: string; replacement: string; removedIn: string },
): void {
  if (warnedDeprecations.has(deprecation.name)) return;
  warnedDeprecations.add(deprecation.name);
  try {
    onDiagnostic({
      code: 'deprecated',
      message: `${deprecation.name} is deprecated: use ${deprecation.replacement}. It will be removed in ${deprecation.removedIn}.`,
      detail: deprecation,
    });
  } catch {
    // A user callback must not turn a warning into an exception.
  }
}

/** Every code, at run time (the compiler checks that none is missing). */
const CODES: Readonly<Record<DiagnosticCode, true>> = {
  invalid_event: true,
  duplicate_event: true,
  late_event: true,
  missing_start: true,
  negative_latency: true,
  after_end: true,
  conversation_evicted: true,
  sink_error: true,
  callback_error: true,
  export_failed: true,
  spans_dropped: true,
  flush_timeout: true,
  export_abandoned: true,
  invalid_argument: true,
  adapter_error: true,
  deprecated: true,
  redactor_error: true,
  redactor_slow: true,
};

/** Whether `code` is a {@link DiagnosticCode}. */
export function isDiagnosticCode(code: unknown): code is DiagnosticCode {
  return typeof code === 'string' && Object.hasOwn(CODES, code);
}

/** Longest text {@link describeError} returns. */
const MAX_ERROR_TEXT = 1000;

/**
 * A thrown value as text, for a diagnostic message. Never throws, whatever was thrown (an object whose
 * `toString` throws, a revoked proxy, a symbol), and caps the text.
 */
export function describeError(err: unknown): string {
  let text: string;
  try {
    text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  } catch {
    text = 'a value that cannot be printed';
  }
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}
