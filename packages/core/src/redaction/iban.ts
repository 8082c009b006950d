/**
 * IBANs: two letters, two check digits and up to 30 letters and digits, in one piece (electronic form)
 * or in groups of four (printed form) separated by single spaces of any kind or dashes, any case, any
 * script's digits. The longest prefix that passes the mod-97 check is masked, so words after it stay
 * ("ES91 2100 … 1332 on file"). Each candidate reads at most 34 characters ahead and checks every
 * prefix in one pass: linear time.
 */
import type { Mask } from './masks.js';
import { isAlnum, PUNCT, SPACE, type Token, touching, WORD } from './tokens.js';

const START = /^[a-z]{2}[0-9]{2}/;
const MAX = 34;
const MIN = 15;

/** The letters and digits of the glob (touching letters and digits) starting at `i`, and its end. */
function glob(toks: Token[], i: number): { text: string; next: number } {
  let text = '';
  let j = i;
  while (
    j < toks.length &&
    isAlnum(toks[j]) &&
    (j === i || touching(toks[j - 1], toks[j])) &&
    text.length <= MAX
  )
    text += toks[j++]!.text;
  return { text, next: j };
}

/** `r` extended by one IBAN character, mod 97 (letters count as two digits, A = 10 … Z = 35). */
function mod97(r: number, c: number): number {
  return c >= 97 ? (r * 100 + (c - 87)) % 97 : (r * 10 + (c - 48)) % 97;
}

/**
 * The check of every prefix of `text` (lowercase letters and digits) at the lengths in `ends`: the
 * longest that passes, or -1. An IBAN passes when its last characters, then its first four, read as a
 * number, leave 1 mod 97; the remainder of the rest grows one character at a time.
 */
function longestValid(text: string, ends: number[]): number {
  let head = 0;
  let headDigits = 0;
  for (let i = 0; i < 4; i++) {
    const c = text.charCodeAt(i);
    head = mod97(head, c);
    headDigits += c >= 97 ? 2 : 1;
  }
  const shift = 10 ** headDigits % 97;
  let rest = 0;
  let best = -1;
  let k = 0;
  while (k < ends.length && ends[k]! <= 4) k++;
  for (let i = 4; i < text.length && k < ends.length; i++) {
    rest = mod97(rest, text.charCodeAt(i));
    if (i + 1 === ends[k]) {
      if (i + 1 >= MIN && (rest * shift + head) % 97 === 1) best = i + 1;
      k++;
    }
  }
  return best;
}

/** Finds IBANs in `toks` and appends their masks. */
export function findIbans(toks: Token[], masks: Mask[]): void {
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.kind !== WORD || t.text.length !== 2 || (isAlnum(toks[i - 1]) && touching(toks[i - 1], t)))
      continue;
    let { text, next } = glob(toks, i);
    // "GB 82 WEST …": the country code apart from its check digits.
    if (text.length === 2 && toks[next]?.kind === SPACE && toks[next]!.text === ' ') {
      const more = glob(toks, next + 1);
      text += more.text;
      next = more.next;
    }
    if (!START.test(text)) continue;
    // Candidate ends: after each group, with the token that ends it. Printed groups are four
    // characters, the last one to four.
    const ends = [text.length];
    const last = [next - 1];
    if (text.length <= 4) {
      while (text.length < MAX) {
        const sep = toks[next];
        const single =
          sep && ((sep.kind === SPACE && sep.text === ' ') || (sep.kind === PUNCT && sep.text === '-'));
        if (!single || !isAlnum(toks[next + 1])) break;
        const g = glob(toks, next + 1);
        if (g.text.length > 4) break;
        text += g.text;
        next = g.next;
        ends.push(text.length);
        last.push(next - 1);
        if (g.text.length < 4) break;
      }
    }
    if (text.length > MAX) continue;
    const length = longestValid(text, ends);
    if (length < 0) continue;
    const end = last[ends.indexOf(length)]!;
    masks.push({ start: t.start, end: toks[end]!.end, label: 'IBAN' });
    i = end;
  }
}
