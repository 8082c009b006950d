/**
 * Masks: spans of the original text that the scanners found, each with what it is. Overlapping masks
 * merge (the earlier one names the union), and the text is rebuilt once with `[LABEL]` in their place.
 */

/** What a mask hides; it appears on spans as `[LABEL]`. */
export type Label = 'EMAIL' | 'IBAN' | 'CARD' | 'SSN' | 'ID' | 'PHONE' | 'EXPIRY' | 'CVV' | 'PIN' | 'NUMBER';

/** A span of the original text to hide, end exclusive. */
export interface Mask {
  start: number;
  end: number;
  label: Label;
}

// When two masks start at the same place, the more specific one names the union.
const RANK: Record<Label, number> = {
  EMAIL: 0,
  IBAN: 1,
  CARD: 2,
  SSN: 3,
  ID: 4,
  PHONE: 5,
  EXPIRY: 6,
  CVV: 7,
  PIN: 8,
  NUMBER: 9,
};

/** Whether the UTF-16 unit at `i` is the second half of a surrogate pair (cutting before it splits a character). */
function lowSurrogateAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 0xdc00 && c < 0xe000;
}

/**
 * `text` with every mask replaced by its label, cut at `limit` characters of output and of input: a
 * mask that starts before the cut is replaced whole, so nothing it covers shows (its label may end up
 * to 8 characters past the limit). Returns the text and the offset in `text` where it stops.
 */
export function applyMasks(text: string, masks: Mask[], limit: number): { text: string; end: number } {
  masks.sort((a, b) => a.start - b.start || b.end - a.end || RANK[a.label] - RANK[b.label]);
  let out = '';
  let pos = 0;
  /** Appends `text[pos, to)` within the limit; false when the limit cut it. */
  const plain = (to: number): boolean => {
    const room = limit - out.length;
    if (to - pos <= room) {
      out += text.slice(pos, to);
      pos = to;
      return true;
    }
    let stop = pos + Math.max(0, room);
    if (stop > pos && lowSurrogateAt(text, stop)) stop--;
    out += text.slice(pos, stop);
    pos = stop;
    return false;
  };
  for (let i = 0; i < masks.length;) {
    const m = masks[i]!;
    let end = m.end;
    // Everything overlapping the union joins it.
    for (i++; i < masks.length && masks[i]!.start < end; i++) end = Math.max(end, masks[i]!.end);
    if (!plain(m.start)) return { text: out, end: pos };
    // A label may end a little past the limit (it is never cut in half), but none starts past it.
    if (out.length >= limit) return { text: out, end: pos };
    out += `[${m.label}]`;
    pos = end;
  }
  plain(text.length);
  return { text: out, end: pos };
}
