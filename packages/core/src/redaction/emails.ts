/**
 * Email addresses, written (`jane.doe@example.com`, any script, `＠`, `%40`) or as people say and
 * obfuscate them: `(at)`, `[at]`, `{at}`, ` at `, "at the rate", `(dot)`, ` dot `, "underscore",
 * "dash", spelled letters ("j o h n at gmail dot com"), and a bare provider ("jsmith at gmail"). Each
 * `@` or "at" is a candidate: the domain is read forward and the local part backward, each at most a
 * bounded number of tokens, and never back into the previous address: linear time.
 */
import type { Mask } from './masks.js';
import { isAlnum, NUM, PUNCT, SPACE, type Token, touching, WORD } from './tokens.js';
import { AT_WORDS, DOT_WORDS, LOCAL_JOIN_WORDS, NOT_LOCAL, NUMBER_WORDS, PROVIDERS, TLDS } from './words.js';

/** Most labels read in a domain, and most pieces in a local part. */
const MAX_LABELS = 12;
const MAX_PIECES = 24;
const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };
const CLOSE = new Set(Object.values(OPEN));
const LOCAL_PUNCT = new Set(['.', '_', '%', '+', "'", '-', '’']);
const LETTERS = /^\p{L}{2,}$/u;

/** `written`: `@` and its encodings; `spoken`: "at" between words; `bracketed`: `(at)`, `[at]`. */
type Marker = { kind: 'written' | 'spoken' | 'bracketed'; first: number; last: number };

/** Whether `t` is a single plain space (no line break). */
const blank = (t: Token | undefined) => t !== undefined && t.kind === SPACE && t.text === ' ';

function markerAt(toks: Token[], i: number): Marker | null {
  const t = toks[i]!;
  if (t.kind === PUNCT) {
    if (t.text === '@') {
      // "(@)"
      const p = toks[i - 1];
      const n = toks[i + 1];
      if (p?.kind === PUNCT && n?.kind === PUNCT && OPEN[p.text] === n.text)
        return { kind: 'bracketed', first: i - 1, last: i + 1 };
      return { kind: 'written', first: i, last: i };
    }
    // `%40`, an `@` URL-encoded
    const n = toks[i + 1];
    if (t.text === '%' && n?.kind === NUM && n.text === '40' && touching(t, n))
      return { kind: 'written', first: i, last: i + 1 };
    return null;
  }
  if (t.kind !== WORD || !AT_WORDS.has(t.text)) return null;
  // "(at)", "[ at ]"
  let p = i - 1;
  if (blank(toks[p])) p--;
  let n = i + 1;
  if (blank(toks[n])) n++;
  const open = toks[p];
  const close = toks[n];
  if (open?.kind === PUNCT && close?.kind === PUNCT && OPEN[open.text] === close.text)
    return { kind: 'bracketed', first: p, last: n };
  if (!blank(toks[i - 1]) || !blank(toks[i + 1])) return null;
  // "at the rate (of)", "at sign", "at symbol"
  const w = (k: number) => (toks[k]?.kind === WORD ? toks[k]!.text : '');
  if (w(i + 2) === 'the' && w(i + 4) === 'rate') {
    const last = w(i + 6) === 'of' ? i + 6 : i + 4;
    if (blank(toks[last + 1])) return { kind: 'spoken', first: i, last };
  }
  if ((w(i + 2) === 'sign' || w(i + 2) === 'symbol') && blank(toks[i + 3]))
    return { kind: 'spoken', first: i, last: i + 2 };
  return { kind: 'spoken', first: i, last: i };
}

/** The letters and digits (with inner dashes) of a domain label starting at `j`: its text and last token. */
function label(toks: Token[], j: number): { text: string; last: number } | null {
  if (!isAlnum(toks[j])) return null;
  let text = toks[j]!.text;
  let last = j;
  for (let k = j + 1; k < toks.length && text.length <= 63; k++) {
    const t = toks[k]!;
    if (!touching(toks[k - 1], t)) break;
    if (isAlnum(t)) {
      text += t.text;
      last = k;
    } else if (t.kind === PUNCT && t.text === '-' && isAlnum(toks[k + 1]) && touching(t, toks[k + 1])) {
      text += '-';
    } else break;
  }
  return { text, last };
}

/** The token after a dot between two labels at `j` (`.`, " . ", " dot ", "(dot)"), or -1. */
function dotAfter(toks: Token[], j: number): number {
  const t = toks[j];
  if (t?.kind === PUNCT && t.text === '.' && touching(toks[j - 1], t) && touching(t, toks[j + 1]))
    return j + 1;
  let k = j;
  if (blank(toks[k])) k++;
  const open = toks[k];
  if (open?.kind === PUNCT && OPEN[open.text]) {
    let m = k + 1;
    if (blank(toks[m])) m++;
    if (toks[m]?.kind !== WORD || !DOT_WORDS.has(toks[m]!.text)) return -1;
    m++;
    if (blank(toks[m])) m++;
    if (toks[m]?.kind !== PUNCT || toks[m]!.text !== OPEN[open.text]) return -1;
    k = m + 1;
  } else if (open?.kind === WORD && DOT_WORDS.has(open.text) && blank(toks[k - 1])) k++;
  else if (open?.kind === PUNCT && open.text === '.') k++;
  else return -1;
  if (blank(toks[k])) k++;
  return isAlnum(toks[k]) ? k : -1;
}

/** The domain after the marker: its labels and its last token, or null. */
function domainAfter(toks: Token[], m: Marker): { labels: string[]; last: number } | null {
  let j = m.last + 1;
  if (blank(toks[j])) j++;
  const labels: string[] = [];
  let last = -1;
  while (labels.length < MAX_LABELS) {
    const l = label(toks, j);
    if (!l) break;
    let text = l.text;
    last = l.last;
    // "g mail"
    if (text === 'g' && blank(toks[last + 1]) && toks[last + 2]?.text === 'mail') {
      text = 'gmail';
      last += 2;
    }
    labels.push(text);
    const k = dotAfter(toks, last + 1);
    if (k < 0) break;
    j = k;
  }
  return labels.length ? { labels, last } : null;
}

/** Whether the domain's labels make an address. */
function plausible(labels: string[], kind: Marker['kind']): boolean {
  if (labels.length === 1) return PROVIDERS.has(labels[0]!);
  const tld = labels[labels.length - 1]!;
  if (kind !== 'spoken') return LETTERS.test(tld);
  return labels[0] !== 'www' && TLDS.has(tld);
}

const APOSTROPHES = new Set(["'", '’']);

/** Whether token `k` is a spelled character (a letter, a digit word, a short number), not the `s` of "it's". */
function isSpelled(toks: Token[], k: number): boolean {
  const t = toks[k];
  if (!t) return false;
  const p = toks[k - 1];
  if (p && p.kind === PUNCT && APOSTROPHES.has(p.text) && touching(p, t)) return false;
  return (
    (t.kind === WORD && (t.text.length === 1 || NUMBER_WORDS.get(t.text)?.type === 'unit')) ||
    (t.kind === NUM && t.text.length <= 3)
  );
}

/**
 * Going back from `k` (the token before a piece of a local part), a joiner between two pieces: " dot ",
 * " underscore ", " (dot) ", " . ". Returns the index of the space before it (the previous piece ends
 * just before that), or -1.
 */
function joinBefore(toks: Token[], k: number): number {
  if (!blank(toks[k])) return -1;
  k--;
  const t = toks[k];
  if (!t) return -1;
  if (t.kind === WORD && LOCAL_JOIN_WORDS.has(t.text)) k--;
  else if (t.kind === PUNCT && LOCAL_PUNCT.has(t.text)) k--;
  else if (t.kind === PUNCT && CLOSE.has(t.text)) {
    // "(dot)", "[ dot ]"
    let m = k - 1;
    if (blank(toks[m])) m--;
    if (toks[m]?.kind !== WORD || !LOCAL_JOIN_WORDS.has(toks[m]!.text)) return -1;
    m--;
    if (blank(toks[m])) m--;
    if (toks[m]?.kind !== PUNCT || OPEN[toks[m]!.text] !== t.text) return -1;
    k = m - 1;
  } else return -1;
  return blank(toks[k]) ? k : -1;
}

/** The first token of the local part before the marker, or -1. `floor`: the first token it may use. */
function localBefore(toks: Token[], m: Marker, floor: number): number {
  let j = m.first - 1;
  if (blank(toks[j])) j--;
  // `"john.doe"@example.com`: the quoted local part, quotes and all.
  if (m.kind === 'written' && toks[j]?.kind === PUNCT && toks[j]!.text === '"') {
    for (let k = j - 1; k >= floor && j - k <= 64; k--) {
      if (toks[k]!.kind === PUNCT && toks[k]!.text === '"') return k;
    }
    return -1;
  }
  // A piece: letters and digits touching, with the punctuation an address allows ("o'brien", "a-b.c").
  const piece = (end: number): number => {
    let k = end;
    if (!isAlnum(toks[k]) || k < floor) return -1;
    let start = k;
    let chars = 0;
    while (k - 1 >= floor && touching(toks[k - 1], toks[k]) && chars < 64) {
      const p = toks[k - 1]!;
      if (!(isAlnum(p) || (p.kind === PUNCT && LOCAL_PUNCT.has(p.text)))) break;
      k--;
      chars += p.text.length;
      if (isAlnum(p)) start = k;
    }
    return start;
  };
  let start = piece(j);
  if (start < 0) return -1;
  // `jane.doe@…` touching its `@` is the whole local part.
  if (m.kind === 'written' && j === m.first - 1) return start;
  // Said or spaced: pieces joined by "dot", "(dot)", "underscore", " . " ("mary underscore lee"),
  // then spelled characters.
  let pieces = 1;
  let joined = false;
  while (pieces < MAX_PIECES) {
    const k = joinBefore(toks, start - 1);
    if (k < 0 || k - 1 < floor) break;
    const s = piece(k - 1);
    if (s < 0) break;
    start = s;
    pieces++;
    joined = true;
  }
  let spelled = !joined && start === j && isSpelled(toks, j);
  while (pieces < MAX_PIECES && blank(toks[start - 1]) && start - 2 >= floor && isSpelled(toks, start - 2)) {
    start -= 2;
    pieces++;
    spelled = true;
  }
  // One word before spelled characters is the name they follow ("john one two three at …").
  if (spelled && blank(toks[start - 1]) && toks[start - 2]?.kind === WORD && start - 2 >= floor) {
    const w = toks[start - 2]!;
    if (!NOT_LOCAL.has(w.text) && !APOSTROPHES.has(toks[start - 3]?.text ?? '')) start -= 2;
  }
  if (!joined && !spelled && toks[start]!.kind === WORD && NOT_LOCAL.has(toks[start]!.text)) return -1;
  return start;
}

/** Finds email addresses in `toks` and appends their masks. */
export function findEmails(toks: Token[], masks: Mask[]): void {
  let floor = 0;
  for (let i = 0; i < toks.length; i++) {
    const m = markerAt(toks, i);
    if (!m) continue;
    const domain = domainAfter(toks, m);
    if (!domain || !plausible(domain.labels, m.kind)) continue;
    const start = localBefore(toks, m, floor);
    if (start < 0) continue;
    masks.push({ start: toks[start]!.start, end: toks[domain.last]!.end, label: 'EMAIL' });
    floor = domain.last + 1;
    i = domain.last;
  }
}
