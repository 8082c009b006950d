/**
 * Adapter diagnostics (code `adapter_error`). Core's `Voxtrace` interface has no public way to report one, so
 * they go to the adapter's own `onDiagnostic` and, when the instance has it, to the hub's `diagnose` (which
 * counts them in `vt.stats().diagnostics` and calls `vt.on('diagnostic')` listeners).
 */
import type { Diagnostic, DiagnosticHandler, Voxtrace } from '@voxtrace/core';

/** Reports `d`; a handler that throws is ignored. */
export function diagnose(vt: Voxtrace, handler: DiagnosticHandler | undefined, d: Diagnostic): void {
  for (const h of [handler, hubDiagnose(vt)]) {
    try {
      h?.(d);
    } catch {
      // A diagnostic callback must not break the adapter.
    }
  }
}

function hubDiagnose(vt: Voxtrace): DiagnosticHandler | undefined {
  const fn = (vt as { diagnose?: unknown }).diagnose;
  return typeof fn === 'function' ? (d) => fn.call(vt, d) : undefined;
}
