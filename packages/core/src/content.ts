/**
 * Content policy: what transcripts, LLM input and output, TTS text, tool arguments and results, and
 * error messages become on spans (see docs/content-policy.md).
 * - `redacted` (default): personal data masked by the built-in redactor (emails, phone numbers, cards
 *   with their expiry and security code, SSNs, IBANs, government ids, any number of six or more digits;
 *   written, spaced, in any script's digits, or spoken), then by yours if you give one;
 * - `none`: content never shown; error messages still appear, redacted;
 * - `full`: shown as is (for development, or a collector that redacts).
 * Everything is capped before any scanner reads it: content and error messages at
 * {@link MAX_CONTENT_CHARS}, other string attributes at {@link MAX_ATTRIBUTE_CHARS}. Redaction runs in
 * time linear in what it reads, which is at most the cap plus {@link LOOKAHEAD_CHARS}.
 */
import { boundedJson } from './bounded-json.js';
import { type Diagnostic, describeError } from './diagnostics.js';
import { LOOKAHEAD_CHARS, redactAll, redactBounded } from './redaction/redact.js';

export { ibanValid, luhnValid } from './redaction/checksums.js';
export { LOOKAHEAD_CHARS } from './redaction/redact.js';

/** How content appears on spans. */
export type ContentMode = 'redacted' | 'none' | 'full';

/** Longest content attribute or error message, in characters; longer text is cut with a marker. */
export const MAX_CONTENT_CHARS = 4096;
/** Longest other string attribute (ids, names, the attributes you or an adapter set), in characters. */
export const MAX_ATTRIBUTE_CHARS = 1024;
/** What replaces text your redactor failed on (it threw, returned no string, or was too slow). */
export const REDACTION_FAILED = '[REDACTION FAILED]';

const TRUNCATED = '…[truncated]';

/** Which text a redactor is given. */
export type ContentField =
  'transcript' | 'llm.input' | 'llm.output' | 'tts.text' | 'tool.arguments' | 'tool.result' | 'error';

/**
 * Your redactor, for what patterns cannot find (names, street addresses): takes text (at most
 * {@link MAX_CONTENT_CHARS} characters) and returns it redacted. Must be synchronous and fast.
 */
export type ContentRedactor = (text: string, field: ContentField) => string;

/** The `content` option of `createVoxtrace` in full. */
export interface ContentOptions {
  /** Default `redacted`, or what `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` says (see {@link contentModeFromEnv}). */
  mode?: ContentMode;
  /** Your redactor, applied wherever the built-in one is (content in `redacted` mode, error messages in `redacted` and `none`). */
  redact?: ContentRedactor;
  /** `after` (default): yours runs on the built-in redactor's output; `instead`: yours replaces it. */
  use?: 'after' | 'instead';
  /**
   * A call of your redactor that takes longer has its output dropped ({@link REDACTION_FAILED}), and
   * your redactor is not called for the next minute (content it would have seen is dropped too).
   * Default 10 ms.
   */
  redactTimeoutMs?: number;
}

/** Error messages remembered redacted (a failing component repeats its message). */
const ERROR_MEMO = 32;

/** How long a slow redactor is left out. */
export const REDACTOR_PAUSE_MS = 60_000;

/**
 * Masks personal data in `text` with the built-in redactor (all of it: callers that put text on
 * spans cap it first). Linear time.
 */
export function redact(text: string): string {
  return redactAll(String(text));
}

/** `text` cut at `max` characters (never inside a surrogate pair), with a marker when cut. */
export function capText(text: string, max: number = MAX_CONTENT_CHARS): string {
  if (text.length <= max) return text;
  const c = text.charCodeAt(max);
  const stop = c >= 0xdc00 && c < 0xe000 ? max - 1 : max;
  return `${text.slice(0, stop)}${TRUNCATED}`;
}

/** The built-in redactor on the first {@link MAX_CONTENT_CHARS} characters of `text`. */
function redactCapped(text: string): string {
  const r = redactBounded(text, MAX_CONTENT_CHARS);
  return r.cut ? `${r.text}${TRUNCATED}` : r.text;
}

/** A value as text: strings as they are, anything else as (bounded) JSON. */
function textOf(value: unknown): string {
  return typeof value === 'string' ? value : boundedJson(value, MAX_CONTENT_CHARS + LOOKAHEAD_CHARS);
}

/**
 * Applies the content policy to a value (string or JSON-serializable): `undefined` when the
 * policy hides it or there is nothing to show.
 */
export function applyContentPolicy(mode: ContentMode, value: unknown): string | undefined {
  if (mode === 'none' || value === undefined || value === null) return undefined;
  const text = textOf(value);
  return mode === 'full' ? capText(text) : redactCapped(text);
}

/** An error message under the policy: redacted unless the mode is `full`, always capped. */
export function applyErrorPolicy(mode: ContentMode, message: string): string {
  return mode === 'full' ? capText(message) : redactCapped(message);
}

const ENV = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';
const ENV_OFF = new Set(['false', '0', 'no', 'off', 'no_content', 'event_only']);
const ENV_ON = new Set(['true', '1', 'yes', 'on', 'span_only', 'span_and_event']);

/**
 * The content mode `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` asks for, when the `content`
 * option does not say: `false` (or `NO_CONTENT`, or `EVENT_ONLY`, since voxtrace puts content on spans
 * only) gives `none`; `true` (`SPAN_ONLY`, `SPAN_AND_EVENT`) gives `redacted`, never `full`: unmasked
 * content takes `content: 'full'` in code. Unset or any other value: `undefined` (the default applies).
 */
export function contentModeFromEnv(
  env: Record<string, string | undefined> = process.env,
): ContentMode | undefined {
  const v = env[ENV]?.trim().toLowerCase();
  if (!v) return undefined;
  if (ENV_OFF.has(v)) return 'none';
  if (ENV_ON.has(v)) return 'redacted';
  return undefined;
}

const MODES: readonly ContentMode[] = ['redacted', 'none', 'full'];

/**
 * The content policy of one voxtrace instance: its mode and, if given, your redactor, guarded so that
 * it cannot throw into the agent. Throws on a configuration mistake (at `createVoxtrace`).
 */
export class ContentPolicy {
  readonly mode: ContentMode;
  private readonly user: ContentRedactor | undefined;
  private readonly instead: boolean;
  private readonly timeoutMs: number;
  private pausedUntil = Number.NEGATIVE_INFINITY;
  /** Recent error messages, redacted: one error shows as an attribute, a status and an event. */
  private readonly errors = new Map<string, string>();

  constructor(
    option: ContentMode | ContentOptions | undefined,
    private readonly onDiagnostic: (d: Diagnostic) => void = () => {},
    env: Record<string, string | undefined> = process.env,
  ) {
    const o: ContentOptions = typeof option === 'string' ? { mode: option } : (option ?? {});
    if (typeof o !== 'object')
      throw new TypeError(`content must be a mode or an object, got ${typeof option}`);
    this.mode = o.mode ?? contentModeFromEnv(env) ?? 'redacted';
    if (!MODES.includes(this.mode))
      throw new TypeError(`content.mode must be 'redacted', 'none' or 'full', got ${String(o.mode)}`);
    if (o.redact !== undefined && typeof o.redact !== 'function')
      throw new TypeError(`content.redact must be a function, got ${typeof o.redact}`);
    if (o.use !== undefined && o.use !== 'after' && o.use !== 'instead')
      throw new TypeError(`content.use must be 'after' or 'instead', got ${String(o.use)}`);
    if (o.use === 'instead' && !o.redact) throw new TypeError("content.use 'instead' needs content.redact");
    if (o.redact && this.mode === 'full')
      throw new TypeError("content.redact has no effect with mode 'full' (nothing is redacted)");
    const timeout = o.redactTimeoutMs ?? 10;
    if (!(typeof timeout === 'number' && timeout > 0 && Number.isFinite(timeout)))
      throw new TypeError(`content.redactTimeoutMs must be a positive number, got ${String(timeout)}`);
    this.user = o.redact;
    this.instead = o.use === 'instead';
    this.timeoutMs = timeout;
  }

  /** A content field as it goes on a span; `undefined` when the policy hides it. */
  content(
    value: unknown,
    field: Exclude<ContentField, 'error'>,
    conversationId?: string,
  ): string | undefined {
    if (this.mode === 'none' || value === undefined || value === null) return undefined;
    return this.apply(textOf(value), field, conversationId);
  }

  /** An error message as it goes on a span (attribute, status, event): shown in every mode. */
  error(message: string, conversationId?: string): string {
    const text = String(message);
    // What is read of it decides what is shown: the memo's key is that much, and whether it is cut.
    const window = MAX_CONTENT_CHARS + LOOKAHEAD_CHARS;
    const key = text.length > window ? `${text.slice(0, window)}\u0000` : text;
    let out = this.errors.get(key);
    if (out === undefined) {
      out = this.apply(text, 'error', conversationId);
      if (this.errors.size >= ERROR_MEMO) this.errors.clear();
      this.errors.set(key, out);
    }
    return out;
  }

  private apply(text: string, field: ContentField, conversationId: string | undefined): string {
    if (this.mode === 'full') return capText(text);
    if (!this.user) return redactCapped(text);
    return this.guarded(this.instead ? capText(text) : redactCapped(text), field, conversationId);
  }

  /** Your redactor, never trusted: a throw, a non-string or a slow call drops the text and is counted. */
  private guarded(text: string, field: ContentField, conversationId: string | undefined): string {
    const started = performance.now();
    if (started < this.pausedUntil) return REDACTION_FAILED;
    let out: unknown;
    try {
      out = this.user!(text, field);
    } catch (err) {
      this.diagnose(
        'redactor_error',
        `content redactor threw on ${field}: ${describeError(err)}; the text was dropped`,
        conversationId,
      );
      return REDACTION_FAILED;
    }
    const took = performance.now() - started;
    if (typeof out !== 'string') {
      // A promise would reject unobserved: observe it.
      try {
        if (out !== null && typeof (out as { then?: unknown }).then === 'function')
          (out as PromiseLike<unknown>).then(undefined, () => {});
      } catch {
        // a hostile thenable; nothing to observe
      }
      this.diagnose(
        'redactor_error',
        `content redactor returned ${out === null ? 'null' : typeof out} on ${field}, not a string (it must be synchronous); the text was dropped`,
        conversationId,
      );
      return REDACTION_FAILED;
    }
    if (took > this.timeoutMs) {
      this.pausedUntil = performance.now() + REDACTOR_PAUSE_MS;
      this.diagnose(
        'redactor_slow',
        `content redactor took ${took.toFixed(1)} ms on ${field} (limit ${this.timeoutMs} ms); its output was dropped and it is paused for ${REDACTOR_PAUSE_MS / 1000} s, dropping the content it would see`,
        conversationId,
      );
      return REDACTION_FAILED;
    }
    return capText(out);
  }

  private diagnose(code: 'redactor_error' | 'redactor_slow', message: string, conversationId?: string): void {
    try {
      this.onDiagnostic(conversationId === undefined ? { code, message } : { code, message, conversationId });
    } catch {
      // the diagnostic channel counts its own failures
    }
  }
}

/** Longest attribute key; longer keys are cut (a span is no place for a kilobyte of key). */
export const MAX_ATTRIBUTE_KEY_CHARS = 256;

/** A non-content attribute value, capped at {@link MAX_ATTRIBUTE_CHARS} when it is a string. */
export function capAttribute<T>(value: T): T {
  return (typeof value === 'string' ? capText(value, MAX_ATTRIBUTE_CHARS) : value) as T;
}

const tooLong = (key: string, value: unknown) =>
  key.length > MAX_ATTRIBUTE_KEY_CHARS ||
  (typeof value === 'string' && value.length > MAX_ATTRIBUTE_CHARS) ||
  (Array.isArray(value) && value.some((v) => typeof v === 'string' && v.length > MAX_ATTRIBUTE_CHARS));

/**
 * `attributes` with every key and string value (strings in arrays too) capped: the same object when
 * nothing is too long, else a capped copy.
 */
export function capAttributes<T extends object>(attributes: T): T {
  const keys = Object.keys(attributes);
  const a = attributes as Record<string, unknown>;
  if (!keys.some((k) => tooLong(k, a[k]))) return attributes;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = a[k];
    out[capText(k, MAX_ATTRIBUTE_KEY_CHARS)] = Array.isArray(v) ? v.map(capAttribute) : capAttribute(v);
  }
  return out as T;
}
