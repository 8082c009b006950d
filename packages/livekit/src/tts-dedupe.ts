/**
 * De-duplication of LiveKit's double-counted TTS metrics (research §2). With a non-streaming TTS,
 * the default `ttsNode` wraps it in `tts.StreamAdapter`: the wrapper reports each segment
 * (`streamed: true`) and every inner `ChunkedStream` reports its sentence (`streamed: false`), both on
 * the same TTS object, so LiveKit's own usage counts the characters twice.
 *
 * The wrapper's report carries the first sentence's request id, the inner ones their own, and their
 * order is not fixed, so request ids cannot pair them. Rule: within one speech, a `streamed: false`
 * report is dropped when the same TTS (label) also reported `streamed: true`; `streamed: false` reports
 * wait for the end of their speech to know. A `ChunkedStream` used on its own (a custom `ttsNode`) has
 * no wrapper report and is kept.
 */
import type { TTSMetrics } from './livekit.js';

/** Most reports kept waiting for one speech (a reply has one per sentence). */
const MAX_PENDING_PER_SPEECH = 256;
/** Most speeches tracked at once; beyond it the oldest is ended (its end was missed). */
const MAX_SPEECHES = 64;

interface SpeechTts {
  streamedLabels: Set<string>;
  chunked: TTSMetrics[];
}

/** See the module comment. `emit` receives each report that counts, once. */
export class TtsDeduper {
  private readonly speeches = new Map<string, SpeechTts>();
  /** Reports dropped as duplicates. */
  dropped = 0;

  constructor(private readonly emit: (m: TTSMetrics) => void) {}

  add(m: TTSMetrics): void {
    if (m.speechId === undefined) {
      // Outside a speech there is nothing to pair with: count it as reported.
      this.emit(m);
      return;
    }
    let s = this.speeches.get(m.speechId);
    if (!s) {
      if (this.speeches.size >= MAX_SPEECHES) this.endSpeech(this.speeches.keys().next().value!);
      s = { streamedLabels: new Set(), chunked: [] };
      this.speeches.set(m.speechId, s);
    }
    if (m.streamed) {
      s.streamedLabels.add(m.label);
      this.emit(m);
    } else if (s.streamedLabels.has(m.label)) {
      this.dropped++;
    } else if (s.chunked.length < MAX_PENDING_PER_SPEECH) {
      s.chunked.push(m);
    } else {
      this.emit(m);
    }
  }

  /** The speech is over: emits its `streamed: false` reports that no wrapper report duplicates. */
  endSpeech(speechId: string): void {
    const s = this.speeches.get(speechId);
    if (!s) return;
    this.speeches.delete(speechId);
    for (const m of s.chunked) {
      if (s.streamedLabels.has(m.label)) this.dropped++;
      else this.emit(m);
    }
  }

  /** Ends every speech (session closed or adapter detached). */
  flush(): void {
    for (const id of [...this.speeches.keys()]) this.endSpeech(id);
  }
}
