/**
 * Replays an input through the real pipeline: platform payloads through their adapters
 * (`@voxtrace/vapi`, `@voxtrace/retell`, `@voxtrace/pipecat-bridge`) into a voxtrace instance, whose
 * finished conversations (`vt.on('conversation')`) are the result; a fixture through core's
 * `replayFixture`. Nothing is exported (no OTLP, no metrics, no monitor).
 */
import { type ConversationRecord, createVoxtrace, replayFixture, type Voxtrace } from '@voxtrace/core';
import { createPipecatBridge } from '@voxtrace/pipecat-bridge/client';
import { closeRetellCalls, observeRetellEvent } from '@voxtrace/retell';
import { observeVapiMessage } from '@voxtrace/vapi';
import { ReplayInputError, type ReplayInput } from './inputs.js';

/** What one input replayed to. */
export interface ReplayResult {
  records: ConversationRecord[];
  /** What the adapters reported about the input (parts skipped, late events…). */
  diagnostics: string[];
}

/** Replays one input; throws a {@link ReplayInputError} when an adapter refuses it. */
export async function replayInput(input: ReplayInput): Promise<ReplayResult> {
  if (input.format === 'fixture') return { records: [replayFixture(input.fixture)], diagnostics: [] };
  const vt = createVoxtrace({ otlp: false, metrics: false, monitor: false });
  const records: ConversationRecord[] = [];
  const diagnostics: string[] = [];
  vt.on('conversation', (r) => records.push(r));
  vt.on('diagnostic', (d) => diagnostics.push(`${d.code}: ${d.message}`));
  try {
    feed(vt, input);
  } finally {
    // Conversations still open (a live stream without its end) end now, as `abandoned`.
    await vt.shutdown();
  }
  return { records, diagnostics };
}

function feed(vt: Voxtrace, input: Exclude<ReplayInput, { format: 'fixture' }>): void {
  switch (input.format) {
    case 'vapi':
      input.bodies.forEach((body, i) => {
        const r = observeVapiMessage(vt, body);
        if (!r.ok) throw new ReplayInputError(`Vapi message #${i + 1}: ${r.problems.join('; ')}`);
      });
      return;
    case 'retell':
      input.bodies.forEach((body, i) => {
        const r = observeRetellEvent(vt, body);
        if (!r.ok) throw new ReplayInputError(`Retell event #${i + 1}: ${r.error}`);
      });
      // A call_ended waits for its call_analyzed: end it with what is known.
      closeRetellCalls(vt);
      return;
    case 'pipecat': {
      const bridge = createPipecatBridge(vt);
      if ('envelopes' in input) for (const e of input.envelopes) bridge.ingest(e);
      else
        for (const r of input.records)
          bridge.ingest(r.message, {
            receivedAt: input.startedAt + r.atMs,
            conversationId: input.conversationId,
          });
      const malformed = bridge.stats().malformed;
      bridge.close();
      if (malformed > 0 && bridge.stats().received === malformed)
        throw new ReplayInputError('no usable Pipecat message');
      return;
    }
  }
}
