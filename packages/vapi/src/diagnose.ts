/**
 * Adapter diagnostics (code `adapter_error`): to the hub (`vt.diagnose`: counted in `vt.stats()` and the
 * metrics, passed to `onDiagnostic` and `vt.on('diagnostic')`) and to the adapter's own `onDiagnostic`.
 */
import type { Diagnostic, DiagnosticHandler, Voxtrace } from '@voxtrace/core';

/** Reports `d`; a handler that throws is ignored. */
export function diagnose(vt: Voxtrace, handler: DiagnosticHandler | undefined, d: Diagnostic): void {
  vt.diagnose(d);
  try {
    handler?.(d);
  } catch {
    // A diagnostic callback must not break the adapter.
  }
}
