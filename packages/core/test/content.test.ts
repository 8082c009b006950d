import {
  applyContentPolicy,
  applyErrorPolicy,
  contentModeFromEnv,
  ibanValid,
  LOOKAHEAD_CHARS,
  luhnValid,
  MAX_CONTENT_CHARS,
  redact,
} from '@voxtrace/core';
import { describe, expect, it } from 'vitest';

describe('redact: written forms', () => {
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
    ['call 415-555-0134 ext 89 today', 'call [PHONE] today'],
    // A misheard digit fails the Luhn check; four groups of four are still a card.
    ['card 4111 1111 1111 1112', 'card [CARD]'],
    ['card 4111.1111.1111.1111', 'card [CARD]'],
    ['mail josé.garcía@correo.es now', 'mail [EMAIL] now'],
    ['mail müller@bücher.de', 'mail [EMAIL]'],
    ['my SSN is 123456789', 'my SSN is [SSN]'],
    ['social security number: 987654321', 'social security number: [SSN]'],
    [
      'my social security number, if you need it, is 987654321',
      'my social security number, if you need it, is [SSN]',
    ],
    ['I have ES91 2100 0418 4502 0005 1332 on file', 'I have [IBAN] on file'],
    ['paris +33 1 23 45 67 89', 'paris [PHONE]'],
    // Any number of six digits or more: an order number, a code, an id.
    ['ref 4111111111111112', 'ref [NUMBER]'],
    ['order 123456789 shipped', 'order [PHONE] shipped'],
    ['your code is 482913', 'your code is [NUMBER]'],
    ['mailto:support@acme-corp.com', 'mailto:[EMAIL]'],
    ['<john.doe@example.com>', '<[EMAIL]>'],
    ['"john.doe"@example.com', '[EMAIL]'],
  ])('%s', (input, output) => {
    expect(redact(input)).toBe(output);
  });
});

describe('redact: separators, scripts and invisible characters', () => {
  it.each([
    ['4 1 5 5 5 5 2 6 7 1', '[PHONE]'],
    ['415\u00a0555\u00a02671', '[PHONE]'],
    ['415\u2011555\u20112671', '[PHONE]'],
    ['415\u2009555\u20092671', '[PHONE]'],
    ['415\u202f555\u202f2671', '[PHONE]'],
    ['415\u2013555\u20132671', '[PHONE]'],
    ['415\u00b7555\u00b72671', '[PHONE]'],
    ['415\u200b555\u200b2671', '[PHONE]'],
    ['41\u00ad55\u00ad552671', '[PHONE]'],
    ['４１５５５５２６７１', '[PHONE]'],
    ['٤١٥٥٥٥٢٦٧١', '[PHONE]'],
    ['۴۱۵۵۵۵۲۶۷۱', '[PHONE]'],
    ['४१५५५५२६७१', '[PHONE]'],
    ['๔๑๕๕๕๕๒๖๗๑', '[PHONE]'],
    ['𝟒𝟏𝟓𝟓𝟓𝟓𝟐𝟔𝟕𝟏', '[PHONE]'],
    ['四一五五五五二六七一', '[PHONE]'],
    ['4️⃣1️⃣5️⃣5️⃣5️⃣5️⃣2️⃣6️⃣7️⃣1️⃣', '[PHONE]'],
    ['１２３－４５－６７８９', '[SSN]'],
    ['john.doe＠example．com', '[EMAIL]'],
    // JSON text a Python tool wrote with ensure_ascii
    ['{"phone": "415\\u00a0555\\u00a02671"}', '{"phone": "[PHONE]"}'],
    ['DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000', '[IBAN]'],
  ])('%j', (input, output) => {
    expect(redact(input)).toBe(output);
  });
});

describe('redact: spoken forms', () => {
  it.each([
    ['it is five five five one two three four', 'it is [PHONE]'],
    ['four one five, five five five, two six seven one', '[PHONE]'],
    ['four fifteen, five fifty-five, twenty-six seventy-one', '[PHONE]'],
    ['one eight hundred five five five oh one nine nine', '[PHONE]'],
    ['plus four four seven seven double oh nine double oh one two three', '[PHONE]'],
    ['415 five five five 2671', '[PHONE]'],
    ['4 one 5 five 5 two 6 seven 7 one', '[PHONE]'],
    ['four one five, uh, five five five, dash, two six seven one', '[PHONE]'],
    ['cuatro uno cinco cinco cinco cinco dos seis siete uno', '[PHONE]'],
    ['my social is one two three four five six seven eight nine', 'my social is [SSN]'],
    [
      'SSN one hundred twenty three million four hundred fifty six thousand seven hundred eighty nine',
      'SSN [SSN]',
    ],
    ['four one one one, one one one one, one one one one, one one one one', '[CARD]'],
    ['it is john dot doe at gmail dot com', 'it is [EMAIL]'],
    ['mary underscore lee at yahoo dot co dot uk', '[EMAIL]'],
    ['john.doe(at)example.com', '[EMAIL]'],
    ['john.doe [at] example [dot] com', '[EMAIL]'],
    ['write to jsmith at outlook.com', 'write to [EMAIL]'],
    ['jsmith at gmail, thanks', '[EMAIL], thanks'],
    ["sure, it's j o h n at gmail dot com", "sure, it's [EMAIL]"],
    ['john one two three at yahoo dot com', '[EMAIL]'],
    ['jane at the rate gmail dot com', '[EMAIL]'],
  ])('%s', (input, output) => {
    expect(redact(input)).toBe(output);
  });
});

describe('redact: what a word nearby says', () => {
  it.each([
    ['card 4111 1111 1111 1111 exp 12/26 cvv 123', 'card [CARD] exp [EXPIRY] cvv [CVV]'],
    ['4111111111111111, expiry 08/27, CVC 737', '[CARD], expiry [EXPIRY], CVC [CVV]'],
    ['expires August 2027', 'expires [EXPIRY]'],
    ['expiry oh eight twenty-seven', 'expiry [EXPIRY]'],
    ['security code seven thirty-seven', 'security code [CVV]'],
    ['the three digits on the back are 737', 'the three digits on the back are [CVV]'],
    ['my PIN is 4821', 'my PIN is [PIN]'],
    ['the last four of my social are 6789', 'the last four of my social are [SSN]'],
    ['passport number C01X00T47', 'passport number [ID]'],
    ['my passport number is C 0 1 X 0 0 T 4 7', 'my passport number is [ID]'],
    ['national insurance number QQ 12 34 56 C', 'national insurance number [ID]'],
    ['NI number AB123456C please', 'NI number [ID] please'],
    ['QQ 12 34 56 C', '[ID]'],
    ['codice fiscale RSSMRA85T10A562S', 'codice fiscale [ID]'],
    ['DNI 12345678Z', 'DNI [ID]'],
  ])('%s', (input, output) => {
    expect(redact(input)).toBe(output);
  });
});

describe('redact: ordinary text stays', () => {
  it.each([
    'the total is $1,500 for 2 people',
    'meet at 10:30 on 2026-11-21',
    'order 12345',
    'room 404, floor 3',
    'see you at home, back in the dot com era', // "at" and "dot com", but not an address
    'I need 2 tickets',
    'at 5 pm',
    'I need one ticket for two adults and three kids',
    'Can I book a table for four at seven thirty?',
    'It costs 1,250,000 dollars',
    'That is 45% off',
    'between 2020 and 2026, or 2020-2026',
    'I was born in nineteen eighty five',
    'connect ECONNREFUSED 127.0.0.1:4318',
    'timeout after 30000 ms',
    '{"day":"friday","time":"10:00","party":4}',
    'Your appointment is on 12/25/2026 at 3 pm',
    'I have three kids aged two, four and six',
    'Look at example.com for details',
    'Find us at www.acme.com',
    'gpt-4o-2024-08-06',
    'We have a hundred thousand customers',
    'pi is 3.14159',
    'The score was 3 to 2, gate B12, seat 14C',
    'my zip is 94103',
    'scores [1, 22, 333, 4444]',
  ])('%s', (input) => {
    expect(redact(input)).toBe(input);
  });
});

describe('checksums', () => {
  it('Luhn and mod 97', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false);
    expect(ibanValid('gb82west12345698765432')).toBe(true);
  });
});

describe('applyContentPolicy', () => {
  it('none hides, full shows, redacted masks; objects are JSON', () => {
    expect(applyContentPolicy('none', 'a@b.co')).toBeUndefined();
    expect(applyContentPolicy('full', 'a@b.co')).toBe('a@b.co');
    expect(applyContentPolicy('redacted', { email: 'a@b.co' })).toBe('{"email":"[EMAIL]"}');
    expect(applyContentPolicy('redacted', undefined)).toBeUndefined();
    expect(applyContentPolicy('redacted', [1, 'x', null, undefined, { a: undefined, b: true }])).toBe(
      JSON.stringify([1, 'x', null, undefined, { a: undefined, b: true }]),
    );
    expect(applyContentPolicy('redacted', { at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
  });

  it('caps long text', () => {
    const out = applyContentPolicy('full', 'x'.repeat(MAX_CONTENT_CHARS + 10))!;
    expect(out.length).toBeLessThan(MAX_CONTENT_CHARS + 20);
    expect(out.endsWith('[truncated]')).toBe(true);
    const red = applyContentPolicy('redacted', 'x'.repeat(MAX_CONTENT_CHARS + 10))!;
    expect(red).toBe(`${'x'.repeat(MAX_CONTENT_CHARS)}…[truncated]`);
  });

  it('never cuts personal data in half at the cap: what starts before it is masked whole', () => {
    for (const pii of [
      '4111 1111 1111 1111',
      'four one five five five five two six seven one',
      'jane.doe@example.com',
    ]) {
      for (let shift = 1; shift < pii.length; shift++) {
        const text = `${'x '.repeat((MAX_CONTENT_CHARS - shift) / 2)}${pii} and more`;
        const out = applyContentPolicy('redacted', text)!;
        expect(out.length).toBeLessThan(MAX_CONTENT_CHARS + 30);
        expect(out).toMatch(/\[(CARD|PHONE|EMAIL)\]/);
        expect(out).not.toMatch(/\d{2}|one|four|jane/);
      }
    }
  });

  it('serializes only what it can show: a huge value costs its first kilobytes', () => {
    const huge = { rows: Array.from({ length: 200_000 }, (_, i) => ({ i, name: `row ${i}` })) };
    const started = performance.now();
    const out = applyContentPolicy('redacted', huge)!;
    expect(performance.now() - started).toBeLessThan(50);
    expect(out.length).toBeLessThan(MAX_CONTENT_CHARS + 20);
    expect(out.startsWith('{"rows":[{"i":0,"name":"row 0"}')).toBe(true);
    expect(out.endsWith('[truncated]')).toBe(true);
    // A long string inside a value is sliced, not escaped whole.
    expect(applyContentPolicy('full', { s: 'y'.repeat(5_000_000) })!.length).toBeLessThan(
      MAX_CONTENT_CHARS + 20,
    );
  });

  it('survives values JSON cannot serialize', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(applyContentPolicy('redacted', cyclic)).toBe('{"a":1,"self":"[Circular]"}');
    expect(applyContentPolicy('redacted', 10n)).toBe('10');
    expect(applyContentPolicy('redacted', { n: 10n })).toBe('{"n":10}');
    const hostile = {
      get boom() {
        throw new Error('getter');
      },
      toJSON: undefined,
      ok: 1,
    };
    expect(applyContentPolicy('redacted', hostile)).toBe('{"boom":"[Unserializable]","ok":1}');
    expect(
      applyContentPolicy('redacted', {
        toJSON() {
          throw new Error('no');
        },
      }),
    ).toBe('"[Unserializable]"');
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no keys');
        },
      },
    );
    expect(() => applyContentPolicy('redacted', proxy)).not.toThrow();
  });

  it('reads at most the cap plus the look-ahead', () => {
    // A number that starts past the look-ahead is not even read: the cut text shows none of it.
    const text = `${'a'.repeat(MAX_CONTENT_CHARS + LOOKAHEAD_CHARS)} 4111 1111 1111 1111`;
    expect(applyContentPolicy('redacted', text)).toBe(`${'a'.repeat(MAX_CONTENT_CHARS)}…[truncated]`);
  });
});

describe('applyErrorPolicy', () => {
  it('redacts error messages unless the mode is full, and caps them', () => {
    expect(applyErrorPolicy('redacted', 'no account for jane@example.com')).toBe('no account for [EMAIL]');
    expect(applyErrorPolicy('none', 'no account for jane@example.com')).toBe('no account for [EMAIL]');
    expect(applyErrorPolicy('full', 'no account for jane@example.com')).toBe(
      'no account for jane@example.com',
    );
    expect(applyErrorPolicy('full', 'e'.repeat(1_000_000)).length).toBeLessThan(MAX_CONTENT_CHARS + 20);
  });
});

describe('contentModeFromEnv (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT)', () => {
  const env = (v?: string) => ({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: v });
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['false', 'none'],
    ['FALSE', 'none'],
    ['0', 'none'],
    ['NO_CONTENT', 'none'],
    ['EVENT_ONLY', 'none'],
    ['true', 'redacted'],
    ['SPAN_ONLY', 'redacted'],
    ['span_and_event', 'redacted'],
    ['maybe', undefined],
  ])('%s → %s', (value, mode) => {
    expect(contentModeFromEnv(env(value))).toBe(mode);
  });
});
