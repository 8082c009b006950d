/**
 * IBANs: two letters, two check digits and up to 30 letters and digits, in one piece (electronic form)
 * or in groups of four (printed form) separated by spaces of any kind or dashes, any case, any script's
 * digits. The longest prefix that passes the mod-97 check is masked, so words after it stay ("ES91 2100
 * … 1332 on file"). Each candidate reads at most 34 characters ahead: linear time.
 */
import { ibanValid } from './checksums.js';
import type { Mask } from './masks.js';
import { isAlnum, PUNCT, SPACE, type Token, touching, WORD } from './tokens.js';

const START = /^[a-z]{2}[0-9]{2}/;
const MAX = 34;

/** The letters and digits of the glob (touching letters and digits) starting at `i`, and its end. */
function glob(toks: Token[], i: number): { text: string; next: number } {
  let text = '';
  let j = i;
  for (; j < toks.length && isAlnum(toks[j]) && (j === i || touching(toks[j - 1], toks[j])); j++) {
    text += toks[j]!.text;
    if (text.length > MAX) break;
  }
  return { text, next: j };
}

/** Finds IBANs in `toks` and appends their masks. */
export function findIbans(toks: Token[], masks: Mask[]): void {
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.kind !== WORD || (isAlnum(toks[i - 1]) && touching(toks[i - 1], t))) continue;
    let { text, next } = glob(toks, i);
    // "GB 82 WEST …": the country code apart from its check digits.
    if (text.length === 2 && toks[next]?.kind === SPACE && toks[next]!.text === ' ') {
      const more = glob(toks, next + 1);
      text += more.text;
      next = more.next;
    }
    if (!START.test(text)) continue;
    const printed = text.length <= 4;
    // Candidate ends: after each group, with the token that ends it.
    const ends: { length: number; tok: number }[] = [{ length: text.length, tok: next - 1 }];
    while (text.length < MAX) {
      const sep = toks[next];
      const single =
        sep && ((sep.kind === SPACE && sep.text === ' ') || (sep.kind === PUNCT && sep.text === '-'));
      if (!single || !isAlnum(toks[next + 1])) break;
      const g = glob(toks, next + 1);
      if (printed ? g.text.length > 4 : true) break;
      text += g.text;
      next = g.next;
      ends.push({ length: text.length, tok: next - 1 });
    }
    for (let k = ends.length - 1; k >= 0; k--) {
      const e = ends[k]!;
      if (e.length >= 15 && e.length <= MAX && ibanValid(text.slice(0, e.length))) {
        masks.push({ start: t.start, end: toks[e.tok]!.end, label: 'IBAN' });
        i = e.tok;
        break;
      }
    }
  }
}
