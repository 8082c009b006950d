/**
 * Personal data in the forms callers, speech-to-text, LLMs and tools produce it: emails, phone numbers,
 * payment cards with their expiry dates and security codes, US SSNs, IBANs and government ids; written,
 * spaced, separated by odd Unicode (NBSP, U+2011, thin spaces, zero-width spaces), in other scripts'
 * digits (full-width, Arabic-Indic, Devanagari…), and spoken ("four one five", "oh", "double five",
 * "twenty-six", words and numerals mixed). Each item says what must never appear on an exported span
 * (`secrets`) and which digits must not survive (`digits`). Many forms are generated from one number,
 * so every class gets every form.
 */

export type PiiKind = 'email' | 'phone' | 'card' | 'expiry' | 'cvv' | 'ssn' | 'iban' | 'id';

export interface PiiItem {
  kind: PiiKind;
  /** As it appears in text. */
  value: string;
  /** Strings that must not appear on any span (compared case-insensitively, digits of any script as ASCII). */
  secrets: string[];
  /** The number's digits: no run of 6 of them may survive in content attributes. Empty for emails. */
  digits: string;
}

/** Digits of any script, as ASCII. */
export function asciiDigits(s: string): string {
  return s.replace(/\p{Nd}/gu, (d) => {
    const cp = d.codePointAt(0)!;
    let k = 0;
    while (/\p{Nd}/u.test(String.fromCodePoint(cp - k - 1))) k++;
    return String(k % 10);
  });
}

const digitsOf = (s: string) => asciiDigits(s).replace(/\D/g, '');

function email(value: string, ...parts: string[]): PiiItem {
  return { kind: 'email', value, secrets: [value, ...parts], digits: '' };
}

/** A number as written: its value, its digits (6 or more are a secret) and any other secrets. */
function numeric(kind: PiiKind, value: string, ...also: string[]): PiiItem {
  const digits = digitsOf(value);
  return { kind, value, secrets: [value, ...(digits.length >= 6 ? [digits] : []), ...also], digits };
}

const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const TEENS = [
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];

/** Two digits as said ("26" → "twenty-six", "05" → "oh five", "10" → "ten"). */
function pair(d: string, hyphen = true): string {
  const [a, b] = [Number(d[0]), Number(d[1])];
  if (a === 0) return `oh ${WORDS[b]}`;
  if (a === 1) return TEENS[b]!;
  return b === 0 ? TENS[a]! : `${TENS[a]}${hyphen ? '-' : ' '}${WORDS[b]}`;
}

/** Ways to say a digit string. */
const SAY_DIGITS = {
  /** "four one five five five five …" */
  words: (d: string) => [...d].map((c) => WORDS[Number(c)]).join(' '),
  /** with commas between groups, as STT punctuates a pause */
  commas: (d: string, groups: number[]) => split(d, groups).map(SAY_DIGITS.words).join(', '),
  /** "oh" for zero */
  oh: (d: string) => [...d].map((c) => (c === '0' ? 'oh' : WORDS[Number(c)])).join(' '),
  /** "double five", "triple one" */
  doubles: (d: string) => {
    const out: string[] = [];
    for (let i = 0; i < d.length;) {
      let n = 1;
      while (d[i + n] === d[i] && n < 3) n++;
      out.push(n === 1 ? WORDS[Number(d[i])]! : `${n === 2 ? 'double' : 'triple'} ${WORDS[Number(d[i])]}`);
      i += n;
    }
    return out.join(' ');
  },
  /** numerals and words alternating by group ("415 five five five 2671") */
  mixed: (d: string, groups: number[]) =>
    split(d, groups)
      .map((g, i) => (i % 2 ? SAY_DIGITS.words(g) : g))
      .join(' '),
  /** digit by digit, alternating numerals and words ("4 one 5 five …") */
  interleaved: (d: string) => [...d].map((c, i) => (i % 2 ? WORDS[Number(c)] : c)).join(' '),
  /** in pairs, as people read long numbers ("forty-one fifty-five …"); an odd digit goes first */
  pairs: (d: string) => {
    const head = d.length % 2 ? [WORDS[Number(d[0])]!] : [];
    const rest = d.slice(d.length % 2);
    return [...head, ...split(rest, Array(rest.length / 2).fill(2)).map((p) => pair(p))].join(' ');
  },
  /** dashes said ("… dash …") */
  dashes: (d: string, groups: number[]) => split(d, groups).map(SAY_DIGITS.words).join(' dash '),
};

function split(d: string, groups: number[]): string[] {
  const out: string[] = [];
  let i = 0;
  for (const g of groups) {
    out.push(d.slice(i, i + g));
    i += g;
  }
  if (i < d.length) out.push(d.slice(i));
  return out;
}

/** Separators a writer, a formatter or a copy-paste puts between groups of digits. */
const SEPARATORS: Record<string, string> = {
  space: ' ',
  nbsp: '\u00a0',
  'non-breaking hyphen': '\u2011',
  'thin space': '\u2009',
  'narrow nbsp': '\u202f',
  'figure space': '\u2007',
  'en dash': '\u2013',
  'em dash': '\u2014',
  minus: '\u2212',
  'ideographic space': '\u3000',
  'middle dot': '\u00b7',
  'zero-width space': '\u200b',
  'soft hyphen': '\u00ad',
  'dash, spaced': ' - ',
  slash: '/',
  'full-width hyphen': '\uff0d',
};

/** Zeros of other scripts' digits. */
const SCRIPTS: Record<string, number> = {
  'full-width': 0xff10,
  'Arabic-Indic': 0x0660,
  'Extended Arabic-Indic': 0x06f0,
  Devanagari: 0x0966,
  Bengali: 0x09e6,
  Thai: 0x0e50,
  'mathematical bold': 0x1d7ce,
};
const inScript = (s: string, zero: number) =>
  s.replace(/[0-9]/g, (d) => String.fromCodePoint(zero + Number(d)));

/**
 * Every form of one number of `kind`: grouped by each separator, in each script, spoken each way.
 * `prefix` names it where the class needs a name ("SSN", "passport number").
 */
function forms(kind: PiiKind, digits: string, groups: number[], prefix = ''): PiiItem[] {
  const p = prefix ? `${prefix} ` : '';
  const g = split(digits, groups);
  const items: PiiItem[] = [];
  const add = (value: string) =>
    items.push({ ...numeric(kind, `${p}${value}`), secrets: secretsOf(value, digits) });
  for (const sep of Object.values(SEPARATORS)) add(g.join(sep));
  add(digits.split('').join(' ')); // digit by digit, single spaces
  for (const zero of Object.values(SCRIPTS)) {
    add(inScript(g.join(' '), zero));
    add(inScript(digits, zero));
  }
  add(inScript(g.join('-'), SCRIPTS['Arabic-Indic']!));
  add(g.join('\u200b\u2011'));
  for (const [name, say] of Object.entries(SAY_DIGITS)) {
    if (name === 'oh' && !digits.includes('0')) continue;
    if (name === 'doubles' && !/(\d)\1/.test(digits)) continue;
    add(say(digits, groups));
  }
  return items;
}

/** A value's secrets: itself, and its digits when they are six or more. */
function secretsOf(value: string, digits: string): string[] {
  return [value, ...(digits.length >= 6 ? [digits] : [])];
}

export const PII_CORPUS: readonly PiiItem[] = [
  // ---- Emails -------------------------------------------------------------------------------------
  email('john.doe@example.com', 'john.doe', 'example.com'),
  email('Jane+billing@sub.example.co.uk', 'jane+billing', 'sub.example.co.uk'),
  email('ALICE_99@EXAMPLE.ORG', 'alice_99'),
  email('a-b.c@mail-server.io', 'mail-server.io'),
  email("o'brien@example.ie", 'example.ie'),
  email('first.last@company.museum', 'first.last', 'company.museum'),
  email('josé.garcía@correo.es', 'josé.garcía', 'correo.es'),
  email('müller@bücher.de', 'müller', 'bücher.de'),
  email('mailto:support@acme-corp.com', 'acme-corp.com'),
  email('john.doe @ example.com', 'john.doe', 'example.com'),
  email('john.doe＠example．com', 'john.doe', 'example．com'),
  email('ｊｏｈｎ．ｄｏｅ＠ｅｘａｍｐｌｅ．ｃｏｍ', 'ｊｏｈｎ．ｄｏｅ', 'ｅｘａｍｐｌｅ．ｃｏｍ'),
  email('john\u200b.doe@exa\u00admple.com', 'doe@exa'),
  email('john.doe%40example.com', 'john.doe', 'example.com'),
  email('john.doe(at)example.com', 'john.doe', 'example.com'),
  email('john.doe (at) example (dot) com', 'john.doe', 'example (dot) com'),
  email('john.doe[at]example.com', 'john.doe', 'example.com'),
  email('john.doe [at] example [dot] com', 'john.doe', 'example [dot] com'),
  email('john.doe{at}example{dot}com', 'john.doe', 'example{dot}com'),
  email('john.doe(@)example.com', 'john.doe', 'example.com'),
  email('john.doe AT example DOT com', 'john.doe', 'example dot com'),
  email('john dot doe at gmail dot com', 'john dot doe', 'doe at gmail'),
  email('John Dot Doe At Gmail Dot Com', 'john dot doe', 'doe at gmail'),
  email('jsmith at outlook dot com', 'jsmith at outlook'),
  email('jsmith at outlook.com', 'jsmith at', 'outlook.com'),
  email('kate at acme-corp.io', 'kate at', 'acme-corp.io'),
  email('jsmith at gmail', 'jsmith at gmail'),
  email('jsmith at g mail dot com', 'jsmith at g'),
  email('mary underscore lee at yahoo dot co dot uk', 'mary underscore lee', 'lee at yahoo'),
  email('mary_lee at hotmail dot co dot uk', 'mary_lee', 'lee at hotmail'),
  email('tom dash jones at mail-server dot io', 'tom dash jones', 'jones at mail'),
  email('tom hyphen jones plus news at proton dot me', 'tom hyphen jones', 'news at proton'),
  email('j o h n at gmail dot com', 'j o h n at', 'n at gmail'),
  email('j dot smith at icloud dot com', 'j dot smith', 'smith at icloud'),
  email('john one two three at yahoo dot com', 'john one two three', 'three at yahoo'),
  email('john123 at yahoo dot com', 'john123'),
  email('jane at the rate gmail dot com', 'jane at the rate', 'rate gmail'),
  email('jane.doe at sign example dot com', 'jane.doe', 'sign example'),
  email('jane.doe at example period org', 'jane.doe', 'example period'),
  email('JOHN.DOE@EXAMPLE.COM', 'john.doe@'),
  email('"john.doe"@example.com', 'example.com'),
  email('john.doe@example.com.', 'john.doe@'),
  email('<john.doe@example.com>', 'john.doe@'),
  email('user+tag@sub-domain.example-mail.co.jp', 'user+tag', 'example-mail.co.jp'),
  email('john . doe @ example . com', 'doe @ example'),
  email('john (dot) doe (at) example (dot) com', 'doe (at) example'),
  email('john@example dot com', 'john@example'),
  email('JOHN DOT DOE AT GMAIL DOT COM', 'doe at gmail'),
  email('jane-doe at proton dot me', 'jane-doe at'),
  email('佐藤@例え.jp', '佐藤@'),
  email('почта@пример.рф', 'почта@'),

  // ---- Phone numbers ------------------------------------------------------------------------------
  numeric('phone', '(415) 555-2671'),
  numeric('phone', '415-555-2671'),
  numeric('phone', '415.555.2671'),
  numeric('phone', '4155552671'),
  numeric('phone', '+1 415 555 2671'),
  numeric('phone', '+1-415-555-2671'),
  numeric('phone', '+1 (415) 555-2671'),
  numeric('phone', '+14155552671'),
  numeric('phone', 'tel:+14155552671'),
  numeric('phone', '1-800-555-0199'),
  numeric('phone', '+44 20 7946 0958'),
  numeric('phone', '+44 (0)20 7946 0958'),
  numeric('phone', '0044 20 7946 0958'),
  numeric('phone', '020 7946 0958'),
  numeric('phone', '(020) 7946 0958'),
  numeric('phone', '+44 7700 900123'),
  numeric('phone', '07700 900123'),
  numeric('phone', '+33 1 23 45 67 89'),
  numeric('phone', '01 23 45 67 89'),
  numeric('phone', '01.23.45.67.89'),
  numeric('phone', '+49 30 12345678'),
  numeric('phone', '+49 (0)30 1234 5678'),
  numeric('phone', '+91 98765 43210'),
  numeric('phone', '+81 3-1234-5678'),
  numeric('phone', '03-1234-5678'),
  numeric('phone', '+61 2 9374 4000'),
  numeric('phone', '+55 11 91234-5678'),
  numeric('phone', '+86 138 0013 8000'),
  numeric('phone', '+7 (495) 123-45-67'),
  numeric('phone', '+971 50 123 4567'),
  numeric('phone', '+353 1 234 5678'),
  numeric('phone', '555-0199'),
  numeric('phone', '555 0199'),
  numeric('phone', '415-555-2671 ext 89'),
  numeric('phone', '415-555-2671 x89'),
  numeric('phone', '+1\u00a0415\u00a0555\u00a02671'),
  numeric('phone', '+1\u2011415\u2011555\u20112671'),
  ...forms('phone', '4155552671', [3, 3, 4]),
  ...forms('phone', '2079460958', [2, 4, 4]),
  { ...numeric('phone', 'four fifteen, five fifty-five, twenty-six seventy-one'), digits: '4155552671' },
  { ...numeric('phone', 'four one five, five five five, two six seven one'), digits: '4155552671' },
  { ...numeric('phone', 'one eight hundred, five five five, oh one nine nine'), digits: '18005550199' },
  { ...numeric('phone', 'one eight hundred five five five zero one nine nine'), digits: '18005550199' },
  { ...numeric('phone', 'plus one four one five five five five two six seven one'), digits: '14155552671' },
  {
    ...numeric('phone', 'plus four four seven seven double oh nine double oh one two three'),
    digits: '447700900123',
  },
  { ...numeric('phone', 'oh seven seven oh oh, nine oh oh, one two three'), digits: '07700900123' },
  { ...numeric('phone', 'four one five, uh, five five five, two six seven one'), digits: '4155552671' },
  { ...numeric('phone', 'Four one five. Five five five. Two six seven one.'), digits: '4155552671' },
  { ...numeric('phone', '4-1-5-5-5-5-2-6-7-1'), digits: '4155552671' },
  { ...numeric('phone', 'Four-one-five, five-five-five, two-six-seven-one'), digits: '4155552671' },
  { ...numeric('phone', 'FOUR ONE FIVE FIVE FIVE FIVE TWO SIX SEVEN ONE'), digits: '4155552671' },
  {
    ...numeric(
      'phone',
      'four hundred fifteen, five hundred fifty five, two thousand six hundred seventy one',
    ),
    digits: '4155552671',
  },
  { ...numeric('phone', 'forty one fifty five fifty five twenty six seventy one'), digits: '4155552671' },
  numeric('phone', '415\t555\t2671'),
  numeric('phone', 'call4155552671now'),
  numeric('phone', '(415)555-2671'),
  numeric('phone', '+1.415.555.2671'),
  { ...numeric('phone', '4, 1, 5, 5, 5, 5, 2, 6, 7, 1'), digits: '4155552671' },
  { ...numeric('phone', 'cuatro uno cinco cinco cinco cinco dos seis siete uno'), digits: '4155552671' },
  { ...numeric('phone', 'quatre un cinq cinq cinq cinq deux six sept un'), digits: '4155552671' },
  { ...numeric('phone', 'vier eins fünf fünf fünf fünf zwei sechs sieben eins'), digits: '4155552671' },
  { ...numeric('phone', '415 555 two six seven one'), digits: '4155552671' },
  { ...numeric('phone', 'four one five 555 2671'), digits: '4155552671' },
  { ...numeric('phone', '４１５−５５５−２６７１'), digits: '4155552671' },
  { ...numeric('phone', '(٤١٥) ٥٥٥-٢٦٧١'), digits: '4155552671' },
  { ...numeric('phone', '४१५-५५५-२६७१'), digits: '4155552671' },
  { ...numeric('phone', '四一五五五五二六七一'), digits: '4155552671' },
  { ...numeric('phone', '4️⃣1️⃣5️⃣5️⃣5️⃣5️⃣2️⃣6️⃣7️⃣1️⃣'), digits: '4155552671' },

  // ---- US social security numbers ----------------------------------------------------------------
  numeric('ssn', '123-45-6789'),
  numeric('ssn', '123 45 6789'),
  numeric('ssn', '123.45.6789'),
  numeric('ssn', 'SSN 123456789'),
  numeric('ssn', 'SSN: 123456789'),
  numeric('ssn', 'SS# 123456789'),
  numeric('ssn', 'social security number is 987654321'),
  numeric('ssn', 'social security no. 987654321'),
  numeric('ssn', 'my social is 987654321'),
  numeric('ssn', 'my social security number, if you need it, is 987654321'),
  numeric('ssn', 'social-security number 987654321'),
  numeric('ssn', 'taxpayer id 987654321'),
  ...forms('ssn', '123456789', [3, 2, 4]),
  ...forms('ssn', '987654321', [3, 2, 4], 'my SSN is'),
  { ...numeric('ssn', 'SSN one two three four five six seven eight nine'), digits: '123456789' },
  {
    ...numeric('ssn', 'social security number one two three, four five, six seven eight nine'),
    digits: '123456789',
  },
  {
    ...numeric(
      'ssn',
      'my social security number is one hundred twenty three million four hundred fifty six thousand seven hundred eighty nine',
    ),
    digits: '123456789',
  },
  { ...numeric('ssn', 'SSN one twenty-three, forty-five, sixty-seven eighty-nine'), digits: '123456789' },
  {
    ...numeric('ssn', 'social is one two three dash four five dash six seven eight nine'),
    digits: '123456789',
  },
  { ...numeric('ssn', 'SSN 123 forty-five 6789'), digits: '123456789' },
  numeric('ssn', 'the last four of my social are 6789', 'are 6789'),
  numeric('ssn', 'last 4 of SSN: 6789', 'ssn: 6789'),

  // ---- Payment cards (test numbers; all pass the Luhn check unless said) ---------------------------
  numeric('card', '4111 1111 1111 1111'),
  numeric('card', '4111-1111-1111-1111'),
  numeric('card', '4111111111111111'),
  numeric('card', '4111.1111.1111.1111'),
  numeric('card', '5555 5555 5555 4444'),
  numeric('card', '3782 822463 10005'),
  numeric('card', '3782-822463-10005'),
  numeric('card', '6011 1111 1111 1117'),
  numeric('card', '30569309025904'),
  numeric('card', '3530 1113 3330 0000'),
  numeric('card', '4012888888881881'),
  numeric('card', '6212 3456 7890 1265 123'),
  numeric('card', '4111 1111 1111 1112'), // a misheard digit: the Luhn check fails
  ...forms('card', '4111111111111111', [4, 4, 4, 4]),
  ...forms('card', '5555555555554444', [4, 4, 4, 4], 'card number'),
  {
    ...numeric('card', 'four one one one, one one one one, one one one one, one one one one'),
    digits: '4111111111111111',
  },
  { ...numeric('card', '4111 one one one one 1111 one one one one'), digits: '4111111111111111' },
  {
    ...numeric('card', 'forty-one eleven, eleven eleven, eleven eleven, eleven eleven'),
    digits: '4111111111111111',
  },
  {
    ...numeric('card', 'five five five five, five five five five, five five five five, four four four four'),
    digits: '5555555555554444',
  },
  { ...numeric('card', 'quadruple five, quadruple five, quadruple five, quadruple four'), digits: '' },
  // …with their expiry date and security code
  numeric('card', '4111 1111 1111 1111 exp 12/26 cvv 123', '12/26', 'cvv 123'),
  numeric('card', '4111111111111111, expiry 08/27, CVC 737', '08/27', 'cvc 737'),
  numeric('card', 'card 4111-1111-1111-1111 expires 0827 security code 4321', 'expires 0827', 'code 4321'),
  numeric('card', '4111 1111 1111 1111 12/26 123', '12/26', '26 123'),
  numeric('card', '4111 1111 1111 1111 valid thru 08/2027 cid 1234', '08/2027', 'cid 1234'),
  numeric(
    'card',
    'four one one one one one one one one one one one one one one one, expiry oh eight twenty-seven, cvv seven three seven',
    'oh eight twenty',
    'seven three seven',
  ),

  // ---- Card expiry dates and security codes on their own ------------------------------------------
  numeric('expiry', 'expiry 08/27', '08/27'),
  numeric('expiry', 'exp. 08/27', '08/27'),
  numeric('expiry', 'expiration date: 08/2027', '08/2027'),
  numeric('expiry', 'expires 0827', 'expires 0827'),
  numeric('expiry', 'expires 8/27', '8/27'),
  numeric('expiry', 'exp 08-27', '08-27'),
  numeric('expiry', 'valid through 08 / 27', '08 / 27'),
  numeric('expiry', 'expires August 2027', 'august 2027'),
  numeric('expiry', 'expiry date is August twenty-seven', 'august twenty'),
  numeric('expiry', 'expires oh eight twenty-seven', 'oh eight twenty'),
  numeric('expiry', 'expiry twelve twenty-six', 'twelve twenty'),
  numeric('expiry', 'expiry one two slash two six', 'one two slash'),
  numeric('expiry', 'expiry ０８/２７', '０８/２７'),
  numeric('cvv', 'cvv 737', 'cvv 737'),
  numeric('cvv', 'CVV: 737', 'cvv: 737'),
  numeric('cvv', 'CVC2 737', 'cvc2 737'),
  numeric('cvv', 'security code is 737', 'is 737'),
  numeric('cvv', 'the three digits on the back are 737', 'are 737'),
  numeric('cvv', 'card verification value 4321', 'value 4321'),
  numeric('cvv', 'cvv seven three seven', 'seven three seven'),
  numeric('cvv', 'security code seven thirty-seven', 'seven thirty'),
  numeric('cvv', 'CVV ٧٣٧', '٧٣٧'),
  numeric('cvv', 'cvv 7\u00a03\u00a07', '7\u00a03\u00a07'),
  numeric('cvv', 'my PIN is 4821', 'is 4821'),
  numeric('cvv', 'the 3 digit code is 737', 'is 737'),
  numeric('cvv', 'security code: 7 3 7', ': 7 3 7'),
  numeric('card', 'Card: 4111 1111 1111 1111, Exp: 12/2026, CVV: 123', '12/2026', 'cvv: 123'),

  // ---- IBANs (valid check digits) -----------------------------------------------------------------
  numeric('iban', 'DE89 3704 0044 0532 0130 00', 'DE89370400440532013000'),
  numeric('iban', 'DE89370400440532013000'),
  numeric('iban', 'de89 3704 0044 0532 0130 00', 'DE89370400440532013000'),
  numeric('iban', 'DE89-3704-0044-0532-0130-00', 'DE89370400440532013000'),
  numeric('iban', 'DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000', 'DE89370400440532013000'),
  numeric('iban', 'DE89\u20093704\u20090044\u20090532\u20090130\u200900', 'DE89370400440532013000'),
  numeric('iban', 'IBAN: DE89 3704 0044 0532 0130 00', 'DE89370400440532013000'),
  numeric('iban', 'ＤＥ８９３７０４００４４０５３２０１３０００', 'DE89370400440532013000'),
  numeric('iban', 'GB82 WEST 1234 5698 7654 32', 'GB82WEST12345698765432'),
  numeric('iban', 'GB82WEST12345698765432'),
  numeric('iban', 'GB29 NWBK 6016 1331 9268 19', 'GB29NWBK60161331926819'),
  numeric('iban', 'FR14 2004 1010 0505 0001 3M02 606', 'FR1420041010050500013M02606'),
  numeric('iban', 'NL91ABNA0417164300'),
  numeric('iban', 'NL91 ABNA 0417 1643 00', 'NL91ABNA0417164300'),
  numeric('iban', 'ES91 2100 0418 4502 0005 1332', 'ES9121000418450200051332'),
  numeric('iban', 'CH93 0076 2011 6238 5295 7', 'CH9300762011623852957'),
  numeric('iban', 'IT60 X054 2811 1010 0000 0123 456', 'IT60X0542811101000000123456'),
  numeric('iban', 'BE68 5390 0754 7034', 'BE68539007547034'),
  numeric('iban', 'NO93 8601 1117 947', 'NO9386011117947'),
  numeric('iban', 'MT84 MALT 0110 0001 2345 MTLC AST0 01S', 'MT84MALT011000012345MTLCAST001S'),
  numeric('iban', 'SA03 8000 0000 6080 1016 7519', 'SA0380000000608010167519'),
  {
    ...numeric(
      'iban',
      'D E eight nine three seven oh four oh oh four four oh five three two oh one three oh oh oh',
    ),
    digits: '89370400440532013000',
  },

  // ---- Government ids -----------------------------------------------------------------------------
  numeric('id', 'passport number 123456789'),
  numeric('id', 'passport no. C01X00T47', 'C01X00T47'),
  numeric('id', 'passport: L898902C3', 'L898902C3'),
  numeric('id', 'my passport number is C 0 1 X 0 0 T 4 7', 'C 0 1 X 0 0 T 4 7'),
  numeric('id', 'passport GB 123456789'),
  numeric('id', 'passport number one two three four five six seven eight nine'),
  numeric('id', 'passport number 12AB34567', '12AB34567'),
  numeric('id', 'national insurance number QQ 12 34 56 C', 'QQ 12 34 56 C', 'QQ123456C'),
  numeric('id', 'NI number AB123456C', 'AB123456C'),
  numeric('id', 'National Insurance: JG 10 37 26 A', 'JG 10 37 26 A', 'JG103726A'),
  numeric('id', 'NINO jg 103726 a', 'jg 103726 a'),
  numeric('id', 'QQ-12-34-56-C', 'QQ123456C'),
  numeric('id', 'passport number: 5 3 4 2 7 8 9 1 0'),
  numeric('id', 'qq123456c', 'qq123456c'),
  numeric('id', 'QQ\u00a012\u00a034\u00a056\u00a0C', 'QQ123456C'),
  numeric('id', 'national insurance Q Q one two three four five six C', 'one two three four five six'),
  numeric('id', "driver's license D1234567", 'D1234567'),
  numeric('id', 'driving licence MORGA753116SM9IJ', 'MORGA753116SM9IJ'),
  numeric('id', 'SIN 046 454 286'),
  numeric('id', 'Aadhaar 2345 6789 0123'),
  numeric('id', 'DNI 12345678Z', '12345678Z'),
  numeric('id', 'NIE X1234567L', 'X1234567L'),
  numeric('id', 'codice fiscale RSSMRA85T10A562S', 'RSSMRA85T10A562S'),
  numeric('id', 'CURP GODE561231HDFRRN09', 'GODE561231HDFRRN09'),
  numeric('id', 'CPF 123.456.789-09'),
  numeric('id', 'NHS number 943 476 5919'),
  numeric('id', 'PPS number 1234567T', '1234567T'),
  numeric('id', 'BSN 123456782'),
  numeric('id', 'personnummer 811228-9874'),
  numeric('id', 'numéro de sécurité sociale 1 85 05 78 006 084 36'),
  numeric('id', 'RRN 900101-1234567'),
  numeric('id', 'ID 11010519491231002X', '11010519491231002X'),
  numeric('id', 'TFN 123 456 782'),
  numeric('id', 'Medicare 2123 45670 1'),
  ...forms('id', '123456789', [3, 3, 3], 'passport number'),
];

/** Sentences around an item, as a caller, an LLM or a tool would put it. */
export const SAY = {
  caller: (v: string) => `sure, it's ${v}, thanks`,
  llm: (v: string) => `I have ${v} on file, is that right?`,
  arguments: (v: string) => ({ lookup: v, note: `caller gave ${v}` }),
  result: (v: string) => ({ found: true, record: { contact: v } }),
  error: (v: string) => `no account matches ${v}`,
};

/** Spoken digits, read back as digits for the leak check. */
const SPOKEN = new Map([
  ...WORDS.map((w, i) => [w, String(i)] as const),
  ['oh', '0'] as const,
  ['o', '0'] as const,
]);

/**
 * Numbers as written or said: digits of any script and digit words, grouped by any spaces, dashes,
 * dots, parentheses, commas or a plus, as ASCII digits.
 */
function numberRuns(content: string): string[] {
  const words = asciiDigits(content.normalize('NFKC'))
    .toLowerCase()
    .replace(/\p{Cf}|\p{M}/gu, '')
    .replace(/\b(zero|one|two|three|four|five|six|seven|eight|nine|oh|o)\b/g, (w) => SPOKEN.get(w)!);
  return (words.match(/\d(?:[\s().,+\-\u2010-\u2015\u2212·/]*\d)*/gu) ?? []).map((r) => r.replace(/\D/g, ''));
}

/**
 * The leaks of one item in exported span text: secrets anywhere, and (in content, which carries no ids
 * or timestamps) a number, written or spoken, holding six of its digits in a row.
 */
export function leaksOf(item: PiiItem, everything: string, content: string): string[] {
  const found: string[] = [];
  const all = asciiDigits(everything).toLowerCase();
  for (const s of item.secrets) {
    const needle = asciiDigits(s).toLowerCase();
    if (needle && all.includes(needle)) found.push(s);
  }
  if (item.digits.length >= 6) {
    const runs = numberRuns(content);
    for (let i = 0; i + 6 <= item.digits.length; i++) {
      const window = item.digits.slice(i, i + 6);
      const run = runs.find((r) => r.includes(window));
      if (run) {
        found.push(`digits ${window} in ${run}`);
        break;
      }
    }
  }
  return found;
}
