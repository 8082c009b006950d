/**
 * The last N conversations, rebuilt from voxtrace spans that arrive in any order and in many batches
 * (turns before their conversation span, components before or after their turn, retried batches
 * twice). Memory is bounded in bytes, not only in counts: every attribute value is capped
 * (`maxValueBytes`), the spans held are accounted (an estimate of what they keep alive, see
 * `cap.ts`) against `maxBytes`, and past it the least recently updated conversations are evicted,
 * whole, until the store fits; one conversation may hold at most a quarter of the budget (its further
 * spans are dropped and counted, like those past `maxSpansPerConversation`). The conversation count
 * is a ring too, and the latency samples of the percentile panel are rings.
 */
import { ATTR, type LatencyComponent, SPAN } from '@voxtrace/core';
import {
  type ComponentMetric,
  type ComponentSample,
  type LatencyView,
  latencyView,
  type TurnSample,
} from './latency.js';
import { SpanCapper } from './cap.js';
import { numberOf, type ReceivedSpan } from './span.js';
import {
  type ConversationSpans,
  type ConversationSummary,
  type ConversationView,
  conversationView,
  summarize,
} from './waterfall.js';

/** Limits of a {@link ConversationStore}. */
export interface StoreOptions {
  /** Conversations kept. Default 200. */
  maxConversations?: number;
  /** Spans kept per conversation; beyond it only the `conversation` span is still taken. Default 5000. */
  maxSpansPerConversation?: number;
  /**
   * Estimated bytes of span data held at most (see {@link DEFAULT_MAX_BYTES}); past it the least recently
   * updated conversations are evicted whole. One conversation may hold a quarter of it.
   */
  maxBytes?: number;
  /** Estimated bytes of one attribute value (2 per character) kept at most; longer ones are cut. Default 8 KiB. */
  maxValueBytes?: number;
  /** Turn and component latency samples kept for the percentile panel. Default 20 000 each. */
  maxSamples?: number;
  /** Trailing window of each percentile point and of the "current" figures. Default 60 s. */
  windowMs?: number;
}

/** Counters of a {@link ConversationStore}. */
export interface StoreStats {
  conversations: number;
  /** voxtrace spans taken. */
  spans: number;
  /** Spans that are not voxtrace's (other instrumentation sharing the exporter): ignored. */
  ignoredSpans: number;
  /** Spans seen twice (a retried batch). */
  duplicateSpans: number;
  /** Spans dropped at the per-conversation caps (span count or bytes). */
  droppedSpans: number;
  /** Conversations evicted: pushed out of the ring, or to stay within the byte budget. */
  evictedConversations: number;
  /** Of those, the ones evicted to stay within the byte budget. */
  evictedForBytes: number;
  /** Estimated bytes of the spans held now. */
  bytes: number;
  /** The byte budget. */
  maxBytes: number;
  /** Attribute values (and names, event lists) that were cut to their cap. */
  truncatedValues: number;
}

/** Default byte budget of the spans held: 64 MiB. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

interface Entry extends ConversationSpans {
  conversation: ReceivedSpan | null;
  turns: Map<string, ReceivedSpan>;
  children: Map<string, ReceivedSpan[]>;
  spanIds: Set<string>;
  droppedSpans: number;
  bytes: number;
}

const NAMES = new Set<string>(Object.values(SPAN));
const PARTS: [LatencyComponent, string][] = [
  ['stt', ATTR.turnLatencyStt],
  ['turn_detection', ATTR.turnLatencyTurnDetection],
  ['llm', ATTR.turnLatencyLlm],
  ['tool', ATTR.turnLatencyTool],
  ['tts', ATTR.turnLatencyTts],
  ['other', ATTR.turnLatencyOther],
  ['unmeasured', ATTR.turnLatencyUnmeasured],
];

/** See the module comment. */
export class ConversationStore {
  private readonly entries = new Map<string, Entry>();
  private readonly turnSamples = new Map<string, TurnSample>();
  private readonly componentSamples = new Map<string, ComponentSample>();
  private readonly counts: StoreStats = {
    conversations: 0,
    spans: 0,
    ignoredSpans: 0,
    duplicateSpans: 0,
    droppedSpans: 0,
    evictedConversations: 0,
    evictedForBytes: 0,
    bytes: 0,
    maxBytes: 0,
    truncatedValues: 0,
  };
  private readonly maxConversations: number;
  private readonly maxSpans: number;
  private readonly maxBytes: number;
  private readonly capper: SpanCapper;
  private readonly maxSamples: number;
  private readonly windowMs: number;
  private version_ = 0;
  private latencyCache: { version: number; view: LatencyView } | null = null;

  constructor(options: StoreOptions = {}) {
    this.maxConversations = positive(options.maxConversations, 200, 'maxConversations');
    this.maxSpans = positive(options.maxSpansPerConversation, 5000, 'maxSpansPerConversation');
    this.maxBytes = positive(options.maxBytes, DEFAULT_MAX_BYTES, 'maxBytes');
    this.counts.maxBytes = this.maxBytes;
    this.capper = new SpanCapper(positive(options.maxValueBytes, 8192, 'maxValueBytes'));
    this.maxSamples = positive(options.maxSamples, 20_000, 'maxSamples');
    this.windowMs = positive(options.windowMs, 60_000, 'windowMs');
  }

  /** Increases whenever what the views show may have changed. */
  get version(): number {
    return this.version_;
  }

  /** Takes a batch of spans; those that are not voxtrace's are counted and ignored. */
  ingest(spans: readonly ReceivedSpan[]): void {
    let changed = false;
    for (const received of spans) {
      const span = withDesignName(received);
      const conversationId = span.attributes[ATTR.conversationId];
      if (!NAMES.has(span.name) || typeof conversationId !== 'string') {
        this.counts.ignoredSpans++;
        continue;
      }
      changed = this.add(span, conversationId) || changed;
    }
    if (changed) this.version_++;
  }

  /** Conversations, newest first. */
  conversations(): ConversationSummary[] {
    return [...this.entries.values()].map(summarize).sort((a, b) => b.startedAt - a.startedAt);
  }

  /** One conversation with its turn waterfall, by trace id. */
  conversation(traceId: string): ConversationView | null {
    const e = this.entries.get(traceId);
    return e ? conversationView(e) : null;
  }

  /** The spans held for a conversation, in start order. */
  spans(traceId: string): ReceivedSpan[] | null {
    const e = this.entries.get(traceId);
    if (!e) return null;
    const all = [
      ...(e.conversation ? [e.conversation] : []),
      ...e.turns.values(),
      ...[...e.children.values()].flat(),
    ];
    return all.sort((a, b) => a.startMs - b.startMs || a.spanId.localeCompare(b.spanId));
  }

  /** Turn latency percentiles over time and component P90s. */
  latency(): LatencyView {
    if (this.latencyCache?.version !== this.version_) {
      this.latencyCache = {
        version: this.version_,
        view: latencyView([...this.turnSamples.values()], [...this.componentSamples.values()], this.windowMs),
      };
    }
    return this.latencyCache.view;
  }

  /** Counters. */
  stats(): StoreStats {
    return { ...this.counts, conversations: this.entries.size };
  }

  private add(received: ReceivedSpan, conversationId: string): boolean {
    const traceId = received.traceId;
    let e = this.entries.get(traceId);
    if (e) {
      // Most recently updated last: evictions take the front.
      this.entries.delete(traceId);
      this.entries.set(traceId, e);
    } else {
      e = {
        traceId,
        conversationId,
        conversation: null,
        turns: new Map(),
        children: new Map(),
        spanIds: new Set(),
        droppedSpans: 0,
        bytes: 0,
      };
      this.entries.set(traceId, e);
      while (this.entries.size > this.maxConversations) this.evictOldest();
    }
    if (e.spanIds.has(received.spanId)) {
      this.counts.duplicateSpans++;
      return false;
    }
    const isConversation = received.name === SPAN.conversation;
    if (e.spanIds.size >= this.maxSpans && !isConversation) return this.dropSpan(e);
    const { span, bytes, truncated } = this.capper.cap(received);
    this.counts.truncatedValues += truncated;
    if (e.bytes + bytes > this.maxBytes / 4 && !isConversation) return this.dropSpan(e);
    e.spanIds.add(span.spanId);
    e.bytes += bytes;
    this.counts.bytes += bytes;
    this.counts.spans++;
    if (isConversation) {
      e.conversation = span;
      e.conversationId = conversationId;
    } else if (span.name === SPAN.turn) {
      e.turns.set(span.spanId, span);
      this.sample(this.turnSamples, span.spanId, turnSample(span));
    } else {
      const parent = span.parentSpanId ?? '';
      const list = e.children.get(parent);
      if (list) list.push(span);
      else e.children.set(parent, [span]);
      for (const c of componentSamples(span))
        this.sample(this.componentSamples, `${span.spanId}/${c.metric}`, c);
    }
    // Over budget: the least recently updated conversations go, whole; the one just updated stays.
    while (this.counts.bytes > this.maxBytes && this.entries.size > 1) {
      this.evictOldest();
      this.counts.evictedForBytes++;
    }
    return true;
  }

  private dropSpan(e: Entry): true {
    e.droppedSpans++;
    this.counts.droppedSpans++;
    return true;
  }

  private sample<T>(ring: Map<string, T>, key: string, value: T): void {
    ring.set(key, value);
    if (ring.size > this.maxSamples) ring.delete(ring.keys().next().value!);
  }

  private evictOldest(): void {
    const [traceId, e] = this.entries.entries().next().value!;
    this.entries.delete(traceId);
    this.counts.bytes -= e.bytes;
    this.counts.evictedConversations++;
  }
}

/**
 * The span under the span model's name: with `spanNames: 'genai'`, LLM and tool spans are named
 * `chat {model}` and `execute_tool {tool}`; their `gen_ai.operation.name` says which they are.
 */
function withDesignName(span: ReceivedSpan): ReceivedSpan {
  if (NAMES.has(span.name)) return span;
  const op = span.attributes[ATTR.genAiOperationName];
  const name = op === 'chat' ? SPAN.llm : op === 'execute_tool' ? SPAN.tool : null;
  return name ? { ...span, name } : span;
}

function turnSample(span: ReceivedSpan): TurnSample {
  const a = span.attributes;
  const parts: TurnSample['parts'] = {};
  for (const [k, key] of PARTS) {
    const v = numberOf(a[key]);
    if (v !== null) parts[k] = v;
  }
  const bottleneck = a[ATTR.turnBottleneck];
  return {
    at: span.startMs,
    e2eMs: numberOf(a[ATTR.turnE2eLatencyMs]),
    bottleneck: typeof bottleneck === 'string' ? bottleneck : null,
    parts,
  };
}

/** A component span's own latencies: STT and turn-detection latency, LLM TTFT and total, TTS TTFB, tool duration. */
function componentSamples(span: ReceivedSpan): ComponentSample[] {
  const a = span.attributes;
  const at = span.startMs;
  const duration = span.endMs - span.startMs;
  const of = (metric: ComponentMetric, ms: number | null): ComponentSample[] =>
    ms === null ? [] : [{ at, metric, ms }];
  switch (span.name) {
    case SPAN.stt:
      return of('stt', numberOf(a[ATTR.componentLatencyMs]));
    case SPAN.turnDetection:
      return of('turnDetection', numberOf(a[ATTR.componentLatencyMs]));
    case SPAN.llm:
      return [...of('llmTtft', numberOf(a[ATTR.llmTtftMs])), ...of('llmTotal', duration)];
    case SPAN.tts:
      return of('ttsTtfb', numberOf(a[ATTR.ttsTtfbMs]));
    case SPAN.tool:
      return of('tool', duration);
    default:
      return [];
  }
}

function positive(v: number | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number, got ${v}`);
  return v;
}
