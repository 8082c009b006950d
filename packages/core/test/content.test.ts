import { applyContentPolicy, ibanValid, luhnValid, MAX_CONTENT_CHARS, redact } from '@voxtrace/core';
import { describe, expect, it } from 'vitest';

describe('redact', () => {
  it.each([
    ['write to jane.doe+vip@mail.example.co.uk please', 'write to [EMAIL] please'],
    ['card 4111 1111 1111 1111 thanks', 'card [CARD] thanks'],
    ['card 4111-1111-1111-1111', 'card [CARD]'],
    ['amex 378282246310005', 'amex [CARD]'],
    ['ssn 123-45-6789', 'ssn [SSN]'],
    ['iban GB82 WEST 1234 5698 7654 32 ok', 'iban [IBAN] ok'],
    ['iban DE89370400440532013000', 'iban [IBAN]'],
    ['call +1 415 555 0134', 'call [PHONE]'],
    ['call (415) 555-0134 now', 'call [PHONE] now'],
    ['call 415.555.0134', 'call [PHONE]'],
    ['uk 020 7946 0958', 'uk [PHONE]'],
    ['number 4155550134', 'number [PHONE]'],
    ['it is five five five one two three four', 'it is [NUMBER]'],
    // A misheard digit fails the Luhn check; four groups of four are still a card.
    ['card 4111 1111 1111 1112', 'card [CARD]'],
    ['card 4111.1111.1111.1111', 'card [CARD]'],
    ['mail josé.garcía@correo.es now', 'mail [EMAIL] now'],
    ['mail müller@bücher.de', 'mail [EMAIL]'],
    ['it is john dot doe at gmail dot com', 'it is [EMAIL]'],
    ['mary underscore lee at yahoo dot co dot uk', '[EMAIL]'],
    ['my SSN is 123456789', 'my SSN is [SSN]'],
    ['social security number: 987654321', 'social security number: [SSN]'],
    ['I have ES91 2100 0418 4502 0005 1332 on file', 'I have [IBAN] on file'],
    ['paris +33 1 23 45 67 89', 'paris [PHONE]'],
  ])('%s', (input, output) => {
    expect(redact(input)).toBe(output);
  });

  it.each([
    'the total is $1,500 for 2 people',
    'meet at 10:30 on 2026-11-21',
    'order 12345',
    'room 404, floor 3',
    'ref 4111111111111112', // 16 digits in one run failing the Luhn check: an id, not a card
    'see you at home, back in the dot com era', // "at" and "dot com", but not an address
    'order 123456789 shipped', // nine digits without the word SSN
  ])('leaves %s alone', (input) => {
    expect(redact(input)).toBe(input);
  });

  it('checksums', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false);
  });
});

describe('applyContentPolicy', () => {
  it('none hides, full shows, redacted masks; objects are JSON', () => {
    expect(applyContentPolicy('none', 'a@b.co')).toBeUndefined();
    expect(applyContentPolicy('full', 'a@b.co')).toBe('a@b.co');
    expect(applyContentPolicy('redacted', { email: 'a@b.co' })).toBe('{"email":"[EMAIL]"}');
    expect(applyContentPolicy('redacted', undefined)).toBeUndefined();
  });

  it('caps long text', () => {
    const out = applyContentPolicy('full', 'x'.repeat(MAX_CONTENT_CHARS + 10))!;
    expect(out.length).toBeLessThan(MAX_CONTENT_CHARS + 20);
    expect(out.endsWith('[truncated]')).toBe(true);
  });

  it('survives values JSON cannot serialize', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => applyContentPolicy('redacted', cyclic)).not.toThrow();
    expect(applyContentPolicy('redacted', 10n)).toBe('10');
  });
});
