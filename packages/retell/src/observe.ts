/** `observeRetellEvent`: for users who keep their own webhook endpoint. */
import { describeError, type Voxtrace } from '@voxtrace/core';
import { type RetellObserveResult, type RetellTrackingOptions, retellCallsFor } from './calls.js';

/**
 * Records one Retell webhook body into `vt`, as the handler of {@link createRetellWebhookHandler} does,
 * for an endpoint you run yourself. Verify the signature first ({@link verifyRetellSignature} over the
 * raw body). Pass the parsed body (or the raw JSON text). Never throws: a body that is not a Retell
 * webhook gives `{ ok: false, error }` (answer it with 400).
 *
 * - `call_started` opens the call's conversation (id = `call_id`, so its trace id is derived from it);
 * - `call_ended` / `call_analyzed` are merged with the call's other deliveries; the call is emitted once
 *   (turns, figures, outcome) at `call_analyzed`, or `analysisWaitMs` after `call_ended`, the same in
 *   any delivery order; Retell's retries are deduplicated; `transfer_*` set `retell.transfer.status`;
 *   other events are ignored.
 */
export function observeRetellEvent(
  vt: Voxtrace,
  body: unknown,
  options?: RetellTrackingOptions,
): RetellObserveResult {
  let calls;
  try {
    calls = retellCallsFor(vt, options);
    calls.webhookAttached = true;
  } catch (err) {
    return { ok: false, error: `unusable options: ${describeError(err)}` };
  }
  let parsed: unknown = body;
  try {
    if (typeof body === 'string' || body instanceof Uint8Array)
      parsed = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch (err) {
    // Not JSON, or a value that throws when looked at (a proxy).
    return { ok: false, error: `body is not JSON: ${describeError(err)}` };
  }
  try {
    return calls.observe(parsed);
  } catch (err) {
    // A parsed object cannot throw; one of the caller's (a getter, a proxy) can, while it is validated.
    return { ok: false, error: `unreadable body: ${describeError(err)}` };
  }
}

/**
 * Emits now the calls of `vt` awaiting `call_analyzed` and clears the adapter's timers (the handler's
 * `close()` does the same, and so does `vt.shutdown()` before it ends what is open).
 */
export function closeRetellCalls(vt: Voxtrace): void {
  retellCallsFor(vt).close();
}
