/**
 * The built-in redactor: emails, IBANs, then numbers (cards with their expiry and security code,
 * SSNs, phone numbers, government ids, anything of six or more digits), each found by a hand-written
 * scanner over one tokenization of the text. Every step is linear in the text's length; callers that
 * put text on spans bound it first ({@link redactBounded}).
 */
import { findEmails } from './emails.js';
import { findIbans } from './iban.js';
import { applyMasks, type Mask } from './masks.js';
import { findNumbers } from './numbers.js';
import { tokenize } from './tokens.js';

/**
 * How much text past a cap is still read, so personal data that starts before the cap is recognized
 * whole (an address's domain, a spoken card number) and masked rather than shown in part.
 */
export const LOOKAHEAD_CHARS = 512;

/**
 * Masks personal data in the first `limit` characters of `text` and returns at most `limit` characters,
 * with `cut` true when text was left out. Reads at most `limit` + {@link LOOKAHEAD_CHARS} characters.
 */
export function redactBounded(text: string, limit: number): { text: string; cut: boolean } {
  const window = text.length > limit + LOOKAHEAD_CHARS ? text.slice(0, limit + LOOKAHEAD_CHARS) : text;
  const toks = tokenize(window);
  const masks: Mask[] = [];
  findEmails(toks, masks);
  findIbans(toks, masks);
  findNumbers(toks, masks);
  const out = applyMasks(window, masks, limit);
  return { text: out.text, cut: out.end < text.length };
}

/** Masks personal data in `text`, all of it (linear time; no cap). */
export function redactAll(text: string): string {
  return redactBounded(text, Number.POSITIVE_INFINITY).text;
}
