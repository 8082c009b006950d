/**
 * Pipecat names a processor `<ClassName>#<n>` (`DeepgramSTTService#0`). Its kind comes from the
 * class-name suffix, and its provider from what precedes the suffix, lower-cased: the same rule
 * Pipecat's own tracing uses for `gen_ai.provider.name`.
 */

/** The pipeline component a processor belongs to. */
export type ProcessorKind = 'stt' | 'llm' | 'tts';

/** A classified processor. */
export interface ProcessorInfo {
  kind: ProcessorKind;
  /** `deepgram`, `openai`, `cartesia`… */
  provider: string;
  /** The processor name as Pipecat reported it (`DeepgramSTTService#0`). */
  processor: string;
}

const SERVICE = /^(.*?)(STT|LLM|TTS)Service$/;

/** Classifies a processor name; `null` for anything that is not an STT, LLM or TTS service. */
export function classifyProcessor(processor: string): ProcessorInfo | null {
  const className = processor.replace(/#\d+$/, '');
  const m = SERVICE.exec(className);
  if (!m) return null;
  const kind = m[2]!.toLowerCase() as ProcessorKind;
  return { kind, provider: m[1]!.toLowerCase() || kind, processor };
}

const SERVICE_IN_TEXT = /\b[A-Za-z0-9_]*?(STT|LLM|TTS)Service\b/;
const TRANSPORT_IN_TEXT = /\b[A-Za-z0-9_]*(Transport|Serializer)\b/;

/**
 * The layer of an RTVI `error`. The message carries no processor field, but Pipecat's error texts
 * usually start with the processor name (`OpenAILLMService#0 exception: …`); other errors count as
 * `dialog` (the pipeline itself).
 */
export function errorLayer(text: string): 'stt' | 'llm' | 'tts' | 'telephony' | 'dialog' {
  const service = SERVICE_IN_TEXT.exec(text);
  if (service) return service[1]!.toLowerCase() as ProcessorKind;
  if (TRANSPORT_IN_TEXT.test(text)) return 'telephony';
  return 'dialog';
}
