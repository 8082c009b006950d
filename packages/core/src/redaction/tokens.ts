/**
 * The tokenizer every redaction scanner reads: one pass over the text that undoes what hides personal
 * data from simple patterns. Letters of any script are NFKC-folded and lowercased (`ｊｏｈｎ＠…`, `𝐣𝐨𝐡𝐧`),
 * digits of any script become ASCII (`٤١٥`, `४१५`, `４１５`, `①`, CJK numerals), every Unicode space is a
 * space (NBSP, thin and narrow spaces…), every dash is `-` (U+2010–U+2015, U+2011 non-breaking hyphen,
 * U+2212 minus…), format characters and combining marks vanish (zero-width space, soft hyphen, bidi
 * marks, keycap `1️⃣`), and JSON escapes (`\u00a0`, `\n`) read as what they encode. Each token keeps its
 * offsets in the original text, so masks land on what was written. Time and memory are linear.
 */

/** Letters (`text` lowercased). */
export const WORD = 1;
/** Decimal digits (`text` in ASCII). */
export const NUM = 2;
/** Whitespace (`text` is `' '`, `'\n'` with one line break, `'\n\n'` with more). */
export const SPACE = 3;
/** One other character (`text` normalized: dashes `-`, dots `.`, slashes `/`, `＠` `@`). */
export const PUNCT = 4;

/** A token of {@link tokenize}. */
export interface Token {
  kind: typeof WORD | typeof NUM | typeof SPACE | typeof PUNCT;
  /** Offsets in the original text, end exclusive. */
  start: number;
  end: number;
  text: string;
}

const LETTER = 1;
const DIGIT = 2;
const BLANK = 3;
const OTHER = 4;
const IGNORE = 5;

interface CharInfo {
  cls: number;
  norm: string;
}

const ND = /\p{Nd}/u;
const LETTER_RE = /\p{L}/u;
const FORMAT = /[\p{Cf}\p{M}]/u;
const BLANK_RE = /\s/;
const DASH = /[\p{Pd}\u2212\u2043\u02D7\uFE63\uFF0D]/u;
const DIGITS_ONLY = /^[0-9]+$/;
const LETTERS_ONLY = /^\p{L}+$/u;
const DOTS = new Set([
  0x00b7, 0x2022, 0x2024, 0x2027, 0x2219, 0x22c5, 0x30fb, 0x3002, 0xff0e, 0xff61, 0xfe52,
]);
const SLASHES = new Set([0x2044, 0x2215, 0x29f8, 0xff0f]);
// CJK numerals, written as digits by Chinese and Japanese speech-to-text.
const CJK_DIGITS = new Map([...'〇一二三四五六七八九'].map((c, i) => [c.codePointAt(0)!, String(i)]));
CJK_DIGITS.set('零'.codePointAt(0)!, '0');

const ASCII: CharInfo[] = Array.from({ length: 128 }, (_, cp) => {
  const c = String.fromCharCode(cp);
  if (cp >= 48 && cp <= 57) return { cls: DIGIT, norm: c };
  if ((cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122)) return { cls: LETTER, norm: c.toLowerCase() };
  if (cp === 32 || (cp >= 9 && cp <= 13)) return { cls: BLANK, norm: cp === 10 ? '\n' : ' ' };
  if (cp < 32 || cp === 127) return { cls: IGNORE, norm: '' };
  return { cls: OTHER, norm: c };
});

// Non-ASCII characters are classified once; the cache is bounded (hostile text may use many).
const cache = new Map<number, CharInfo>();
const CACHE_MAX = 8192;

function info(cp: number): CharInfo {
  if (cp < 128) return ASCII[cp]!;
  let r = cache.get(cp);
  if (r === undefined) {
    r = classify(cp);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(cp, r);
  }
  return r;
}

/**
 * The value of a decimal digit of any script. Unicode encodes every script's digits as a contiguous
 * run 0–9 (adjacent runs only in whole tens), so the value is the distance from the run's start, mod 10.
 */
function digitValue(cp: number): number {
  let k = 0;
  while (k < 64 && ND.test(String.fromCodePoint(cp - k - 1))) k++;
  return k % 10;
}

function classify(cp: number): CharInfo {
  const ch = String.fromCodePoint(cp);
  const cjk = CJK_DIGITS.get(cp);
  if (cjk !== undefined) return { cls: DIGIT, norm: cjk };
  if (ND.test(ch)) return { cls: DIGIT, norm: String(digitValue(cp)) };
  if (FORMAT.test(ch)) return { cls: IGNORE, norm: '' };
  if (BLANK_RE.test(ch)) return { cls: BLANK, norm: cp === 0x2028 || cp === 0x2029 ? '\n' : ' ' };
  if (DASH.test(ch)) return { cls: OTHER, norm: '-' };
  if (DOTS.has(cp)) return { cls: OTHER, norm: '.' };
  if (SLASHES.has(cp)) return { cls: OTHER, norm: '/' };
  const nf = ch.normalize('NFKC');
  if (nf !== ch && nf.length > 0) {
    if (DIGITS_ONLY.test(nf)) return { cls: DIGIT, norm: nf };
    const first = nf.codePointAt(0)!;
    if (nf.length === String.fromCodePoint(first).length && first !== cp) return info(first);
    if (LETTERS_ONLY.test(nf)) return { cls: LETTER, norm: nf.toLowerCase() };
  }
  if (LETTER_RE.test(ch)) return { cls: LETTER, norm: ch.toLowerCase() };
  return { cls: OTHER, norm: ch };
}

const HEX = /^[0-9a-fA-F]{4}$/;

/** A JSON escape at `i` (`s[i]` is a backslash): the code point it encodes and its length, or null. */
function escapeAt(s: string, i: number): { cp: number; width: number } | null {
  const c = s[i + 1];
  if (c === 'u') {
    const hex = s.slice(i + 2, i + 6);
    if (!HEX.test(hex)) return null;
    const hi = parseInt(hex, 16);
    if (hi >= 0xd800 && hi < 0xdc00 && s[i + 6] === '\\' && s[i + 7] === 'u') {
      const lo = s.slice(i + 8, i + 12);
      if (HEX.test(lo)) {
        const l = parseInt(lo, 16);
        if (l >= 0xdc00 && l < 0xe000)
          return { cp: ((hi - 0xd800) << 10) + (l - 0xdc00) + 0x10000, width: 12 };
      }
    }
    return { cp: hi, width: 6 };
  }
  if (c === 'n' || c === 't' || c === 'r' || c === 'b' || c === 'f')
    return { cp: c === 'n' ? 10 : 32, width: 2 };
  if (c === '"' || c === '\\' || c === '/') return { cp: c.charCodeAt(0), width: 2 };
  return null;
}

const KIND_OF = [0, WORD, NUM, SPACE, PUNCT] as const;

/** Splits `s` into tokens (see the module comment). */
export function tokenize(s: string): Token[] {
  const out: Token[] = [];
  // The token being read: its kind, offsets, normalized text so far (or null while it is plain ASCII
  // that `s.slice` gives back), and line breaks for spaces.
  let kind = 0;
  let start = 0;
  let end = 0;
  let buf: string | null = null;
  let breaks = 0;
  for (let i = 0; i < s.length;) {
    let cp = s.charCodeAt(i);
    let width = 1;
    let plain = cp < 128 && cp !== 0x5c;
    if (!plain) {
      if (cp >= 0xd800 && cp < 0xdc00) {
        const lo = s.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo < 0xe000) {
          cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
          width = 2;
        }
      } else if (cp === 0x5c) {
        const e = escapeAt(s, i);
        if (e) {
          cp = e.cp;
          width = e.width;
        } else plain = true;
      }
    }
    const c = cp < 128 ? ASCII[cp]! : info(cp);
    if (c.cls === IGNORE) {
      // Invisible: the current token runs on over it.
      if (kind !== 0) {
        if (buf === null && kind !== SPACE) buf = normalizedSlice(s, start, end, kind);
        end = i + width;
      }
      i += width;
      continue;
    }
    const k = KIND_OF[c.cls]!;
    if (k !== kind || k === PUNCT) {
      if (kind !== 0) out.push(token(s, kind, start, end, buf, breaks));
      kind = k;
      start = i;
      buf = null;
      breaks = 0;
    }
    if (k === SPACE) {
      if (c.norm === '\n') breaks++;
    } else if (buf !== null) buf += c.norm;
    else if (!plain) buf = normalizedSlice(s, start, i, k) + c.norm;
    i += width;
    end = i;
  }
  if (kind !== 0) out.push(token(s, kind, start, end, buf, breaks));
  return out;
}

/** The normalized text of plain ASCII `s[start, end)`. */
function normalizedSlice(s: string, start: number, end: number, kind: number): string {
  const t = s.slice(start, end);
  return kind === WORD ? t.toLowerCase() : t;
}

function token(
  s: string,
  kind: number,
  start: number,
  end: number,
  buf: string | null,
  breaks: number,
): Token {
  const text =
    kind === SPACE
      ? breaks === 0
        ? ' '
        : breaks === 1
          ? '\n'
          : '\n\n'
      : (buf ?? normalizedSlice(s, start, end, kind));
  return { kind: kind as Token['kind'], start, end, text };
}

/** Whether the token is letters or digits. */
export function isAlnum(t: Token | undefined): boolean {
  return t !== undefined && (t.kind === WORD || t.kind === NUM);
}

/** Whether tokens `a` and `b` touch (nothing but invisible characters between them). */
export function touching(a: Token | undefined, b: Token | undefined): boolean {
  return a !== undefined && b !== undefined && a.end === b.start;
}
