/**
 * Vapi `endedReason` → voxtrace outcome and failing layer. Vapi's enum has 597 values (and grows with every
 * provider), so the mapping is by family, not by value: the first family whose pattern matches wins, and a
 * value no family knows is classified by its words (`error`/`fault`/`failed` → an error). The README's
 * table is this table.
 */
import type { ErrorLayer, Outcome } from '@voxtrace/core';

/** How an `endedReason` is read. */
export interface EndedReasonClass {
  outcome: Outcome;
  /** The failing layer when the outcome is `error`. */
  layer: ErrorLayer | null;
  /** The family that matched (see {@link ENDED_REASON_FAMILIES}). */
  family: string;
  /** Who Vapi says was at fault, when the value says (`…-vapifault-…`, `…-providerfault-…`, `…-configfault-…`). */
  fault: 'vapi' | 'provider' | 'config' | null;
}

/**
 * `component`: the layer is read from the provider/component words of the value, `llm` when none matches
 * (most pipeline providers are model providers); `component-or-telephony`: the same, else `telephony`.
 */
type LayerRule = ErrorLayer | 'component' | 'component-or-telephony' | null;

/** One family of `endedReason` values. */
export interface EndedReasonFamily {
  family: string;
  pattern: RegExp;
  outcome: Outcome;
  layer: LayerRule;
  /** Why, for the README. */
  note: string;
}

/** The families, in match order. */
export const ENDED_REASON_FAMILIES: readonly EndedReasonFamily[] = [
  {
    family: 'assistant-ended',
    pattern: /^assistant-(ended-call.*|said-end-call-phrase)$/,
    outcome: 'completed',
    layer: null,
    note: 'the assistant ended the call (end-call tool, phrase, hang-up task, after its last message)',
  },
  {
    family: 'customer-ended',
    pattern: /^customer-ended-call$/,
    outcome: 'completed',
    layer: null,
    note: 'the caller hung up: the normal end of most calls',
  },
  {
    family: 'customer-left-transfer',
    pattern: /^customer-ended-call-.*transfer.*$/,
    outcome: 'abandoned',
    layer: null,
    note: 'the caller hung up before, during or after a transfer attempt',
  },
  {
    family: 'provider-completed',
    pattern: /^(call\.in-progress\.(twilio|sip)-completed-call|vonage-completed)$/,
    outcome: 'completed',
    layer: null,
    note: 'the carrier reports a normally completed call',
  },
  {
    family: 'hook-say',
    pattern: /^call\.[a-z-]+\.hook-executed-say$/,
    outcome: 'completed',
    layer: null,
    note: 'a `call.ringing`/`call.ending` hook spoke and ended the call',
  },
  {
    family: 'forwarded',
    pattern: /^(assistant-forwarded-call|call\.[a-z-]+\.hook-executed-transfer)$/,
    outcome: 'transferred',
    layer: null,
    note: 'handed to another number or assistant',
  },
  {
    family: 'voicemail',
    pattern: /^voicemail$/,
    outcome: 'voicemail',
    layer: null,
    note: 'outbound call reached voicemail',
  },
  {
    family: 'unanswered',
    pattern: /^(customer-busy|customer-did-not-answer|vonage-rejected|twilio-reported-customer-misdialed)$/,
    outcome: 'unanswered',
    layer: null,
    note: 'outbound call not answered, busy, rejected or misdialed',
  },
  {
    family: 'caller-left',
    pattern:
      /^(call\.ringing\.sip-inbound-caller-hungup-before-call-connect|customer-did-not-give-microphone-permission|vonage-disconnected)$/,
    outcome: 'abandoned',
    layer: null,
    note: 'the caller left before or without the conversation (no microphone, hung up while ringing, line dropped)',
  },
  {
    family: 'silence-timeout',
    pattern: /^silence-timed-out$/,
    outcome: 'abandoned',
    layer: null,
    note: 'nobody spoke until `silenceTimeoutSeconds`',
  },
  {
    family: 'canceled',
    pattern: /^(manually-canceled|call-deleted|scheduled-call-deleted)$/,
    outcome: 'abandoned',
    layer: null,
    note: 'canceled or deleted through the API',
  },
  {
    family: 'max-duration',
    pattern: /^exceeded-max-duration$/,
    outcome: 'error',
    layer: 'dialog',
    note: 'cut off at `maxDurationSeconds`: a dialog loop or a limit set too low; the caller was cut off either way',
  },
  {
    family: 'transfer-failed',
    pattern: /^(call\.forwarding\.(operator-busy|no-answer)|call\.in-progress\.error-(warm-)?transfer-.*)$/,
    outcome: 'error',
    layer: 'telephony',
    note: 'the transfer target was busy, did not answer, or the (warm) transfer failed',
  },
  {
    family: 'assistant-config',
    pattern:
      /^(assistant-not-valid|assistant-not-found|assistant-request-.*|call-start-error-neither-assistant-nor-server-set|call\.start\.assistant-version-error-.*|call\.start\.error-get-assistant)$/,
    outcome: 'error',
    layer: 'dialog',
    note: 'no usable assistant: invalid or missing, or your `assistant-request` answer failed',
  },
  {
    family: 'call-start',
    pattern: /^call\.start\.error-.*$/,
    outcome: 'error',
    layer: 'telephony',
    note: 'the call could not start (account, subscription, number, transport, fraud check)',
  },
  {
    family: 'connection',
    pattern:
      /^(assistant-join-timed-out|call\.in-progress\.error-assistant-did-not-receive-customer-audio|phone-call-provider-closed-websocket|phone-call-provider-bypass-enabled-but-no-call-received|twilio-failed-to-connect-call|vonage-failed-to-connect-call|worker-shutdown|call\.(in-progress|ringing)\.error-sip-.*)$/,
    outcome: 'error',
    layer: 'telephony',
    note: 'the audio connection failed: join timeout, no caller audio, SIP/carrier connect failure, worker shutdown',
  },
  {
    family: 'pipeline-error',
    pattern: /^pipeline-error-.*$/,
    outcome: 'error',
    layer: 'component',
    note: 'a provider of the voice pipeline failed (layer from the component: transcriber → stt, voice → tts, model → llm)',
  },
  {
    family: 'in-call-fault',
    pattern: /^call\.in-progress\.error-(vapifault|providerfault|configfault|pipeline)-.*$/,
    outcome: 'error',
    layer: 'component',
    note: 'a failure during the call, blamed on Vapi, the provider or the configuration (layer from the component)',
  },
];

/** Families of values outside the table (future values), by their words. */
const UNKNOWN_ERROR: EndedReasonFamily = {
  family: 'unknown-error',
  pattern: /error|fault|fail|timed-out|timeout/,
  outcome: 'error',
  layer: 'component-or-telephony',
  note: 'a value not in the table whose words say it failed',
};
const UNKNOWN: EndedReasonFamily = {
  family: 'unknown',
  pattern: /.*/,
  outcome: 'completed',
  layer: null,
  note: 'any other value not in the table',
};

/** Transcriber providers and words (checked first: `cartesia-transcriber-failed` is STT, `cartesia-…` else TTS). */
const STT = /transcriber|deepgram-returning|assembly-ai|speechmatics|gladia|talkscriber|soniox/;
/** Voice providers and words. */
const TTS =
  /voice|video|eleven-labs|playht|cartesia|lmnt|rime-ai|smallest-ai|neuphonic|hume|sesame|inworld|wellsaid|tavus/;
/** The call's transport and Vapi's workers. */
const TELEPHONY = /transport|sip|worker|twilio|vonage|websocket|phone|chat-pipeline/;

/** The layer of a provider/component failure, `fallback` when no component word matches. */
function componentLayer(value: string, fallback: ErrorLayer): ErrorLayer {
  if (STT.test(value)) return 'stt';
  if (TTS.test(value)) return 'tts';
  if (TELEPHONY.test(value)) return 'telephony';
  if (/llm|model|openai|anthropic|google|groq|mistral/.test(value)) return 'llm';
  return fallback;
}

/** Classifies an `endedReason`. Every string maps to an outcome; errors get a layer. */
export function classifyEndedReason(value: string): EndedReasonClass {
  const v = value.trim().toLowerCase();
  const family =
    ENDED_REASON_FAMILIES.find((f) => f.pattern.test(v)) ??
    (UNKNOWN_ERROR.pattern.test(v) ? UNKNOWN_ERROR : UNKNOWN);
  const fault = /vapifault/.test(v)
    ? 'vapi'
    : /providerfault/.test(v)
      ? 'provider'
      : /configfault/.test(v)
        ? 'config'
        : null;
  const layer =
    family.layer === 'component'
      ? componentLayer(v, 'llm')
      : family.layer === 'component-or-telephony'
        ? componentLayer(v, 'telephony')
        : family.layer;
  return { outcome: family.outcome, layer, family: family.family, fault };
}
