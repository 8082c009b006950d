/**
 * Content policy: what transcripts, LLM text and tool arguments/results may appear on spans.
 * - `redacted` (default): shown with emails (any script, and spelled out as "john dot doe at gmail dot
 *   com"), phone numbers, payment card numbers (Luhn-checked, or grouped four by four), US SSNs
 *   (grouped, or nine digits named as one), IBANs (mod-97-checked) and long spoken digit runs masked;
 * - `none`: never shown;
 * - `full`: shown as is (for development, or a collector that redacts).
 * Text is also capped at `MAX_CONTENT_CHARS` so a long prompt cannot bloat a span.
 */

/** How content appears on spans. */
export type ContentMode = 'redacted' | 'none' | 'full';

/** Longest content attribute, in characters; longer text is cut with a marker. */
export const MAX_CONTENT_CHARS = 4096;

// Letters and digits of any script: `josé@correo.es` and `müller@bücher.de` are addresses too.
const EMAIL = /[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;
// An address as speech-to-text writes it: "john dot doe at gmail dot com".
const SPOKEN_EMAIL =
  /\b[\p{L}\p{N}]+(?:\s+(?:dot|underscore|dash|hyphen|plus)\s+[\p{L}\p{N}]+)*\s+at\s+[\p{L}\p{N}-]+(?:\s+dot\s+[\p{L}\p{N}-]+)*\s+dot\s+(?:com|net|org|edu|gov|mil|int|info|biz|io|co|ai|app|dev|me|email|online|xyz|uk|us|ca|au|nz|ie|de|fr|es|it|nl|be|ch|at|se|no|dk|fi|pl|pt|br|mx|in|jp|cn)\b/giu;
// Country code, check digits, then groups of four (printed form) or one run (electronic form).
const IBAN = /\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,4})?\b/gi;
// 13–19 digits, optionally grouped by spaces, dashes or dots.
const CARD = /\b\d(?:[ .-]?\d){12,18}\b/g;
// Four groups of four digits read like a card even when a digit was misheard (the Luhn check fails).
const CARD_GROUPED = /\b\d{4}([ .-])\d{4}\1\d{4}\1\d{4}\b/g;
const SSN = /\b\d{3}[- ]\d{2}[- ]\d{4}\b/g;
// Nine digits in a row are an SSN when the text says so ("SSN 123456789", "social security number is …").
const SSN_NAMED = /\b(ssn|social security(?: number)?)(\D{0,20}?)\d{9}\b/gi;
// A phone number: optional +country, optional (area), then groups; 7–15 digits in all.
const PHONE = /(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,5}\b/g;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
// Seven or more digits spoken as words ("five five five, one two one two"), as STT often writes them.
const SPOKEN_DIGITS =
  /\b(?:(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)[\s,.-]+){6,}(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b/gi;
const DIGIT = /\d/;
const SPOKEN_DOT = /\sdot\s/i;

function digitsOf(s: string): string {
  return s.replace(/\D/g, '');
}

/** Luhn checksum, as payment card numbers carry. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** ISO 13616 mod-97 check of an IBAN (spaces and dashes ignored). */
export function ibanValid(text: string): boolean {
  const s = text.replace(/[ -]/g, '').toUpperCase();
  if (s.length < 15 || s.length > 34) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const code = ch.charCodeAt(0);
    const v = code >= 65 ? String(code - 55) : ch;
    for (const d of v) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

/**
 * The longest valid IBAN at the start of a candidate: the pattern may run on into the next word
 * ("ES91 2100 … 1332 on file"), so shorter readings are tried, group by group.
 */
function maskIban(candidate: string): string {
  if (ibanValid(candidate)) return '[IBAN]';
  for (let i = candidate.length - 1; i >= 15; i--) {
    const c = candidate[i];
    if ((c === ' ' || c === '-') && ibanValid(candidate.slice(0, i))) return `[IBAN]${candidate.slice(i)}`;
  }
  return candidate;
}

/** Masks personal data in `text` (see the module comment for what is masked). */
export function redact(text: string): string {
  let out = text;
  if (out.includes('@')) out = out.replace(EMAIL, '[EMAIL]');
  if (SPOKEN_DOT.test(out)) out = out.replace(SPOKEN_EMAIL, '[EMAIL]');
  if (DIGIT.test(out)) {
    out = out
      .replace(IBAN, maskIban)
      .replace(CARD, (m) => (luhnValid(digitsOf(m)) ? '[CARD]' : m))
      .replace(CARD_GROUPED, '[CARD]')
      .replace(SSN, '[SSN]')
      .replace(SSN_NAMED, (_, name: string, between: string) => `${name}${between}[SSN]`)
      .replace(PHONE, (m) => {
        if (ISO_DATE.test(m)) return m;
        const n = digitsOf(m).length;
        // Plain short numbers (amounts, years, counts) stay; grouped or long digit runs are phone-like.
        const grouped = /[ .()+-]/.test(m);
        return n >= 7 && n <= 15 && (grouped || n >= 10) ? '[PHONE]' : m;
      });
  }
  return out.replace(SPOKEN_DIGITS, '[NUMBER]');
}

function cap(text: string): string {
  return text.length > MAX_CONTENT_CHARS ? `${text.slice(0, MAX_CONTENT_CHARS)}…[truncated]` : text;
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Applies the content policy to a value (string or JSON-serializable): `undefined` when the
 * policy hides it or there is nothing to show.
 */
export function applyContentPolicy(mode: ContentMode, value: unknown): string | undefined {
  if (mode === 'none' || value === undefined || value === null) return undefined;
  const text = cap(stringify(value));
  return mode === 'full' ? text : redact(text);
}
