/**
 * Numbers, however they were written or said: digits of any script, grouped by any separators, read
 * out as words ("four one five", "oh", "double five", "twenty-six", "eight hundred"), or both mixed.
 * Consecutive pieces join into one number; any number of six or more digits is masked, named by its
 * shape and the words before it (card, SSN, phone, id), except amounts, dates, decimals and IP
 * addresses. Shorter numbers are masked only where a word says what they are: a card's expiry date and
 * security code, a PIN, the last four of an SSN, an id after "passport". Identifiers mixing letters and
 * six or more digits (`C01X00T47`, `QQ123456C`) are masked whole. One pass over the tokens, with bounded
 * look-ahead at each: linear time.
 */
import { luhnValid } from './checksums.js';
import type { Label, Mask } from './masks.js';
import { isAlnum, NUM, PUNCT, SPACE, type Token, touching, WORD } from './tokens.js';
import {
  AMOUNT_WORDS,
  CONTEXT,
  type Context,
  CURRENCY_SIGNS,
  GAP_WORDS,
  KEYWORD_CONTEXT,
  MONTHS,
  NUMBER_WORDS,
  type NumberWord,
} from './words.js';

/** Fewest digits a number needs to be masked without a word saying what it is. */
export const MIN_DIGITS = 6;

/** Punctuation that may separate the groups of one number: `415-555`, `(415) 555`, `415.555`, `12/26`. */
const GAP_PUNCT: ReadonlySet<string> = new Set(['-', '.', '(', ')', '/', ',', '+']);
/** Short words that never belong to an identifier ("passport number is C01…"). */
const NOT_ID: ReadonlySet<string> = new Set([
  'is',
  'it',
  'its',
  'my',
  'the',
  'a',
  'an',
  'and',
  'no',
  'nr',
  'num',
  'are',
  'was',
  'of',
  'on',
  'for',
  'to',
  'at',
  'in',
  'by',
  'me',
  'we',
  'us',
  'ok',
  'so',
]);

/** How far (characters) a context word reaches: identifiers are often introduced at length. */
const REACH: Record<Context, number> = {
  [CONTEXT.card]: 48,
  [CONTEXT.ssn]: 48,
  [CONTEXT.cvv]: 32,
  [CONTEXT.pin]: 32,
  [CONTEXT.expiry]: 32,
  [CONTEXT.id]: 48,
};
/** After a card number, how far its expiry date and security code may follow. */
const AFTER_CARD_REACH = 24;

/** The number word at token `j`, unless it is part of an identifier (`4o`, `one2one`). */
function numberWord(toks: Token[], j: number): NumberWord | undefined {
  const t = toks[j]!;
  if (t.kind !== WORD) return undefined;
  const w = NUMBER_WORDS.get(t.text);
  if (w === undefined) return undefined;
  const p = toks[j - 1];
  const n = toks[j + 1];
  if ((p && p.kind === NUM && touching(p, t)) || (n && n.kind === NUM && touching(t, n))) return undefined;
  return w;
}

function digitBearing(toks: Token[], j: number): boolean {
  const t = toks[j];
  return t !== undefined && (t.kind === NUM || numberWord(toks, j) !== undefined);
}

/** A number: the tokens it spans, its digits and, when written, its groups and separators. */
interface Run {
  first: number;
  last: number;
  digits: string;
  /** Digit count of each written group, in order. */
  groups: number[];
  /** What separated consecutive items (`''` when they touch). */
  seps: string[];
  /** Some of it was said in words. */
  spoken: boolean;
  /** Only "oh"/"o": not a number. */
  weakOnly: boolean;
  /** A cardinal said with a scale word and ending in zeros ("two million", "a hundred thousand"). */
  round: boolean;
}

/** Reads the number starting at token `i` (a digit-bearing token), joining every piece that follows. */
function readRun(toks: Token[], i: number): Run {
  let digits = '';
  // The cardinal being read ("one hundred twenty three"): what is complete, the current group, and
  // the kind of the last word; a word that cannot continue it starts the next piece ("four fifteen").
  let total = 0;
  let cur = 0;
  let last = '';
  let active = false;
  let repeat = 0;
  let scaled = false;
  let strong = false;
  const groups: number[] = [];
  const seps: string[] = [];
  let spoken = false;
  const flush = () => {
    if (active) digits += String(total + cur);
    total = 0;
    cur = 0;
    active = false;
  };
  let j = i;
  let sep = '';
  for (;;) {
    const t = toks[j]!;
    if (t.kind === NUM) {
      flush();
      digits += repeat > 1 && t.text.length === 1 ? t.text.repeat(repeat) : t.text;
      repeat = 0;
      groups.push(t.text.length);
      if (j !== i) seps.push(sep);
      last = 'num';
      strong = true;
    } else {
      spoken = true;
      if (j !== i) seps.push(sep);
      const w = numberWord(toks, j)!;
      if (w.type !== 'unit' || !w.weak) strong = true;
      switch (w.type) {
        case 'repeat':
          flush();
          repeat = w.value;
          last = 'repeat';
          break;
        case 'unit':
          if (repeat > 1) {
            flush();
            digits += String(w.value).repeat(repeat);
            repeat = 0;
            last = 'num';
          } else if (active && ((last === 'tens' && cur % 10 === 0) || last === 'scale')) {
            cur += w.value;
            last = 'unit';
          } else {
            flush();
            cur = w.value;
            active = true;
            last = 'unit';
          }
          break;
        case 'teen':
        case 'tens':
          if (active && last === 'scale') cur += w.value;
          else {
            flush();
            cur = w.value;
            active = true;
          }
          last = w.type;
          break;
        case 'scale':
          scaled = true;
          if (last === 'num') {
            // "5 hundred": the written number times the scale.
            digits += '0'.repeat(Math.round(Math.log10(w.value)));
          } else if (w.value === 100) {
            cur = (active && cur > 0 ? cur : 1) * 100;
            active = true;
            last = 'scale';
          } else {
            total += (active && cur > 0 ? cur : 1) * w.value;
            cur = 0;
            active = true;
            last = 'scale';
          }
          break;
      }
    }
    // The gap to the next piece: spaces (one line break at most), up to two separators, up to two
    // filler words ("uh", "dash"; "and" after "hundred").
    let k = j + 1;
    let punct = 0;
    let words = 0;
    let breaks = 0;
    sep = '';
    while (k < toks.length) {
      const g = toks[k]!;
      if (g.kind === SPACE) {
        breaks += g.text === ' ' ? 0 : g.text.length;
        if (sep === '') sep = ' ';
      } else if (g.kind === PUNCT && GAP_PUNCT.has(g.text) && punct < 2) {
        punct++;
        sep = sep.trim() + g.text;
      } else if (
        g.kind === WORD &&
        words < 2 &&
        (GAP_WORDS.has(g.text) || (g.text === 'and' && last === 'scale'))
      ) {
        words++;
        if (sep === '') sep = ' ';
      } else break;
      k++;
    }
    if (breaks > 1 || !digitBearing(toks, k)) break;
    const next = toks[k]!;
    // Commas list numbers ("[1, 22, 333]"); they join single digits and spoken numbers only.
    if (
      sep.includes(',') &&
      t.kind === NUM &&
      next.kind === NUM &&
      (t.text.length > 1 || next.text.length > 1)
    )
      break;
    // A number glued to letters on its far side is part of an identifier, not this number.
    j = k;
  }
  flush();
  return {
    first: i,
    last: j,
    digits,
    groups,
    seps,
    spoken,
    weakOnly: !strong,
    round: spoken && scaled && /^[1-9][0-9]{0,2}0{3,}$/.test(digits),
  };
}

/** The closest token before `i` that is not a space, or undefined. */
function before(toks: Token[], i: number): Token | undefined {
  let k = i - 1;
  if (toks[k]?.kind === SPACE) k--;
  return toks[k];
}

/** The index of the closest token after `i` that is not a space. */
function next(toks: Token[], i: number): number {
  return toks[i + 1]?.kind === SPACE ? i + 2 : i + 1;
}

const same = (xs: string[]) => xs.every((x) => x === xs[0]);

/** Written numbers that are not identifiers: amounts, dates, decimals, IP addresses, year ranges. */
function harmless(toks: Token[], r: Run): boolean {
  const b = before(toks, r.first);
  const a = toks[next(toks, r.last)];
  if (
    b &&
    ((b.kind === PUNCT && CURRENCY_SIGNS.has(b.text)) || (b.kind === WORD && AMOUNT_WORDS.has(b.text)))
  )
    return true;
  if (a && ((a.kind === WORD && AMOUNT_WORDS.has(a.text)) || (a.kind === PUNCT && a.text === '%')))
    return true;
  if (r.spoken) return r.round;
  const g = r.groups;
  const s = r.seps;
  const n = r.digits.length;
  // 1,500,000 (not a long digit string a formatter grouped by thousands)
  if (n <= 7 && s.length > 0 && s.every((x) => x === ',') && g.slice(1).every((x) => x === 3) && g[0]! <= 3)
    return true;
  // 3.14, 12.5, 3.14159
  if (g.length === 2 && s[0] === '.' && (g[0]! <= 3 || g[1]! <= 4)) return true;
  if (g.length === 3 && same(s) && ['-', '/', '.'].includes(s[0]!)) {
    const [x, y, z] = [0, 1, 2].map((k) => Number(r.digits.slice(sum(g, k), sum(g, k + 1)))) as [
      number,
      number,
      number,
    ];
    // 2026-11-21
    if (
      g[0] === 4 &&
      g[1]! <= 2 &&
      g[2]! <= 2 &&
      x >= 1900 &&
      x <= 2099 &&
      y >= 1 &&
      y <= 12 &&
      z >= 1 &&
      z <= 31
    )
      return true;
    // 21/11/2026, 11/21/26
    if (g[0]! <= 2 && g[1]! <= 2 && (g[2] === 4 || g[2] === 2) && x >= 1 && y >= 1 && x <= 31 && y <= 31)
      return x <= 12 || y <= 12;
  }
  // 127.0.0.1
  if (g.length === 4 && s.every((x) => x === '.') && g.every((x) => x <= 3)) {
    let ok = true;
    for (let k = 0; k < 4; k++) ok &&= Number(r.digits.slice(sum(g, k), sum(g, k + 1))) <= 255;
    if (ok) return true;
  }
  // 2020-2026
  if (g.length === 2 && g[0] === 4 && g[1] === 4 && (s[0] === '-' || s[0] === '/')) {
    const from = Number(r.digits.slice(0, 4));
    const to = Number(r.digits.slice(4));
    if (from >= 1900 && to <= 2099 && from <= to) return true;
  }
  return false;
}

function sum(xs: number[], k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) s += xs[i]!;
  return s;
}

const eq = (g: number[], shape: number[]) => g.length === shape.length && g.every((x, i) => x === shape[i]);
const CARD_SHAPES = [
  [4, 4, 4, 4],
  [4, 4, 4, 4, 3],
  [4, 6, 5],
  [4, 6, 4],
  [4, 4, 4, 2],
];

/** A plausible card expiry: M/YY, MM/YY, MM/YYYY (or only the year after a month name). */
function expiryLike(d: string, month: boolean): boolean {
  if (month) return d.length === 2 || (d.length === 4 && d.startsWith('20'));
  const m = d.length === 3 || d.length === 5 ? Number(d[0]) : Number(d.slice(0, 2));
  if (m < 1 || m > 12) return false;
  return d.length <= 4 || d.slice(-4).startsWith('20');
}

/** Finds numbers in `toks` and appends their masks. */
export function findNumbers(toks: Token[], masks: Mask[]): void {
  // Where the last word of each context ended (character offset), and the end of the last card.
  const seen = new Array<number>(6).fill(Number.NEGATIVE_INFINITY);
  let cardEnd = Number.NEGATIVE_INFINITY;
  let prevWord = '';
  const near = (c: Context, at: number) => at - seen[c]! <= REACH[c];
  const mask = (start: number, end: number, label: Label) => masks.push({ start, end, label });

  for (let i = 0; i < toks.length;) {
    const t = toks[i]!;
    let keyword = false;
    if (t.kind === WORD) {
      const pair = prevWord ? KEYWORD_CONTEXT.get(`${prevWord} ${t.text}`) : undefined;
      const one = KEYWORD_CONTEXT.get(t.text);
      if (pair !== undefined) seen[pair] = t.end;
      if (one !== undefined) seen[one] = t.end;
      keyword = pair !== undefined || one !== undefined;
    }
    if (isAlnum(t) && !(isAlnum(toks[i - 1]) && touching(toks[i - 1], t))) {
      // An identifier mixing letters and six or more digits is masked whole.
      let letters = 0;
      let digits = 0;
      let j = i;
      for (; j < toks.length && isAlnum(toks[j]) && (j === i || touching(toks[j - 1], toks[j])); j++) {
        if (toks[j]!.kind === NUM) digits += toks[j]!.text.length;
        else letters += toks[j]!.text.length;
      }
      if (letters > 0 && digits >= MIN_DIGITS) mask(t.start, toks[j - 1]!.end, 'ID');
      // After "passport", "licence", "national insurance"…: the id, however it is spelled out.
      if (!keyword && near(CONTEXT.id, t.start) && (t.kind === NUM || !NOT_ID.has(t.text))) {
        const end = spelledId(toks, i);
        if (end > i) {
          mask(t.start, toks[end - 1]!.end, 'ID');
          seen[CONTEXT.id] = Number.NEGATIVE_INFINITY;
          i = end;
          prevWord = '';
          continue;
        }
      }
    }
    if (!digitBearing(toks, i)) {
      if (t.kind === WORD) prevWord = t.text;
      else if (t.kind !== SPACE && t.kind !== PUNCT) prevWord = '';
      i++;
      continue;
    }
    const r = readRun(toks, i);
    i = r.last + 1;
    prevWord = '';
    if (r.weakOnly) continue;
    const first = toks[r.first]!;
    const lastTok = toks[r.last]!;
    let start = first.start;
    let end = lastTok.end;
    const n = r.digits.length;
    const label = labelOf(r);
    if (label === null) continue;
    if (label === 'CARD') cardEnd = end;
    if (label === 'EXPIRY') {
      // "expires August 27": the month goes too.
      const b = before(toks, r.first);
      if (b && b.kind === WORD && MONTHS.has(b.text)) start = b.start;
      cardEnd = end;
    }
    if (label === 'CVV') cardEnd = Number.NEGATIVE_INFINITY;
    if (label === 'PHONE' || label === 'NUMBER' || label === 'CARD' || label === 'SSN' || label === 'ID') {
      // A leading "+", "plus" or "(" belongs to the number.
      const b = toks[r.first - 1]?.kind === SPACE ? toks[r.first - 2] : toks[r.first - 1];
      if (
        b &&
        ((b.kind === PUNCT && (b.text === '+' || b.text === '(')) || (b.kind === WORD && b.text === 'plus'))
      )
        start = b.start;
      // "ext 89", "extension 12"
      const xi = next(toks, r.last);
      const x = toks[xi];
      if (x && x.kind === WORD && (x.text === 'ext' || x.text === 'extension' || x.text === 'x')) {
        let k = xi + 1;
        if (toks[k]?.kind === PUNCT && toks[k]!.text === '.') k++;
        if (toks[k]?.kind === SPACE) k++;
        if (toks[k]?.kind === NUM && toks[k]!.text.length <= 6) {
          end = toks[k]!.end;
          i = Math.max(i, k + 1);
        }
      }
      // A UK National Insurance number: two letters, six digits, a letter A–D ("QQ 12 34 56 C").
      if (n === 6 && !r.spoken) {
        const p = ninoPrefix(toks, r.first);
        if (p !== null) {
          start = Math.min(start, p);
          const si =
            toks[r.last + 1]?.kind === PUNCT && toks[r.last + 1]!.text === '-'
              ? r.last + 2
              : next(toks, r.last);
          const s = toks[si];
          if (s && s.kind === WORD && s.text.length === 1 && 'abcd'.includes(s.text)) {
            end = s.end;
            i = Math.max(i, si + 1);
          }
          mask(start, end, 'ID');
          continue;
        }
      }
    }
    mask(start, end, label);
    if (label === 'ID' || label === 'SSN' || label === 'PIN') {
      seen[CONTEXT.id] = seen[CONTEXT.pin] = Number.NEGATIVE_INFINITY;
    }
  }

  /** What the number is, or null to leave it. */
  function labelOf(r: Run): Label | null {
    const first = toks[r.first]!;
    const at = first.start;
    const d = r.digits;
    const n = d.length;
    const hasSlash = r.seps.some((s) => s.includes('/'));
    const month = (() => {
      const b = before(toks, r.first);
      return b !== undefined && b.kind === WORD && MONTHS.has(b.text);
    })();
    // Short numbers, where a word or a card just before says what they are.
    if (n <= 8) {
      if (near(CONTEXT.expiry, at) && n >= 2 && n <= 6 && expiryLike(d, month)) {
        seen[CONTEXT.expiry] = Number.NEGATIVE_INFINITY;
        return 'EXPIRY';
      }
      if (near(CONTEXT.cvv, at) && (n === 3 || n === 4)) {
        seen[CONTEXT.cvv] = Number.NEGATIVE_INFINITY;
        return 'CVV';
      }
      if (at - cardEnd <= AFTER_CARD_REACH) {
        if ((hasSlash || month || n === 4) && n >= 3 && n <= 6 && expiryLike(d, month)) return 'EXPIRY';
        if (n === 3 || n === 4) return 'CVV';
      }
      if (near(CONTEXT.pin, at) && n >= 4) {
        seen[CONTEXT.pin] = Number.NEGATIVE_INFINITY;
        return 'PIN';
      }
      if (near(CONTEXT.ssn, at) && n === 4) return 'SSN';
      if (near(CONTEXT.id, at) && n >= 4) return 'ID';
    }
    if (n < MIN_DIGITS || harmless(toks, r)) return null;
    const g = r.groups;
    const plus = (() => {
      const b = toks[r.first - 1]?.kind === SPACE ? toks[r.first - 2] : toks[r.first - 1];
      return (
        b !== undefined && ((b.kind === PUNCT && b.text === '+') || (b.kind === WORD && b.text === 'plus'))
      );
    })();
    if (n >= 13 && n <= 19 && !plus) {
      if (luhnValid(d) || near(CONTEXT.card, at) || (!r.spoken && CARD_SHAPES.some((s) => eq(g, s))))
        return 'CARD';
    }
    if (n === 9 && (near(CONTEXT.ssn, at) || (!r.spoken && eq(g, [3, 2, 4])))) return 'SSN';
    if (near(CONTEXT.id, at)) return 'ID';
    if (n >= 7 && n <= 15) return 'PHONE';
    return 'NUMBER';
  }
}

/** The start of the two letters before a National Insurance number's digits ("QQ", "Q Q"), or null. */
function ninoPrefix(toks: Token[], first: number): number | null {
  let k = first - 1;
  if (
    (toks[k]?.kind === SPACE && toks[k]!.text === ' ') ||
    (toks[k]?.kind === PUNCT && toks[k]!.text === '-')
  )
    k--;
  const w = toks[k];
  if (!w || w.kind !== WORD || NOT_ID.has(w.text)) return null;
  if (w.text.length === 2 && /^[a-z]{2}$/.test(w.text)) return w.start;
  if (
    w.text.length === 1 &&
    toks[k - 1]?.kind === SPACE &&
    toks[k - 2]?.kind === WORD &&
    toks[k - 2]!.text.length === 1
  )
    return toks[k - 2]!.start;
  return null;
}

/**
 * An id spelled out after an id keyword: digits, single letters, letter groups touching digits, number
 * words, joined by single spaces, dashes, dots or slashes ("C 0 1 X 0 0 T 4 7", "AB-12-34-56"). Returns
 * the token index after it, or `i` when what follows is not an id (fewer than two digits or five characters).
 */
function spelledId(toks: Token[], i: number): number {
  let chars = 0;
  let digits = 0;
  let j = i;
  let end = i;
  while (j < toks.length && j - i < 80) {
    const t = toks[j]!;
    if (t.kind === NUM) {
      digits += t.text.length;
      chars += t.text.length;
    } else if (t.kind === WORD) {
      const w = numberWord(toks, j);
      const glued =
        (toks[j - 1]?.kind === NUM && touching(toks[j - 1], t)) ||
        (toks[j + 1]?.kind === NUM && touching(t, toks[j + 1]));
      if (w !== undefined && w.type === 'unit') {
        digits++;
        chars++;
      } else if (glued || (t.text.length <= 3 && !NOT_ID.has(t.text))) chars += t.text.length;
      // a check letter after the digits ("JG 10 37 26 A")
      else if (t.text.length === 1 && j > i && toks[j - 2]?.kind === NUM) chars++;
      else break;
    } else break;
    end = j + 1;
    const n = toks[j + 1];
    if (isAlnum(n) && touching(t, n)) j++;
    else if (
      n &&
      ((n.kind === SPACE && n.text === ' ') ||
        (n.kind === PUNCT && (n.text === '-' || n.text === '.' || n.text === '/'))) &&
      isAlnum(toks[j + 2])
    )
      j += 2;
    else break;
  }
  return digits >= 2 && chars >= 5 ? end : i;
}
