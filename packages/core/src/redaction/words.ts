/**
 * The words redaction reads: numbers as speech-to-text writes them ("four one five", "oh", "double
 * five", "twenty-six", "eight hundred"), the words that say what a nearby number is ("cvv", "expires",
 * "passport"), and the shapes of spelled-out email addresses ("at", "dot", "gmail").
 */

/** How a number word contributes to the digits of a spoken number. */
export type NumberWord =
  | { type: 'unit'; value: number; weak: boolean }
  | { type: 'teen' | 'tens'; value: number }
  | { type: 'scale'; value: number }
  | { type: 'repeat'; value: number };

const entries: [string, NumberWord][] = [];
const unit = (words: string, value: number, weak = false) => {
  for (const w of words.split(' ')) entries.push([w, { type: 'unit', value, weak }]);
};
// English, then Spanish, French and German digits (speech-to-text in those languages writes them so).
['zero nought', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'].forEach((w, i) =>
  unit(w, i),
);
['cero', 'uno', 'dos', 'tres', 'cuatro', 'cinco', 'seis', 'siete', 'ocho', 'nueve'].forEach((w, i) =>
  unit(w, i),
);
['zéro', 'un', 'deux', 'trois', 'quatre', 'cinq', 'six', 'sept', 'huit', 'neuf'].forEach((w, i) =>
  unit(w, i),
);
['eins', 'zwei', 'drei', 'vier', 'fünf', 'sechs', 'sieben', 'acht', 'neun'].forEach((w, i) => unit(w, i + 1));
// "oh" and "o" are zero only next to other digits ("four oh five"), never on their own.
unit('oh o', 0, true);
'ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen'
  .split(' ')
  .forEach((w, i) => entries.push([w, { type: 'teen', value: 10 + i }]));
'twenty thirty forty fourty fifty sixty seventy eighty ninety'
  .split(' ')
  .forEach((w) => entries.push([w, { type: 'tens', value: tensValue(w) }]));
entries.push(['hundred', { type: 'scale', value: 100 }]);
entries.push(['thousand', { type: 'scale', value: 1000 }]);
entries.push(['million', { type: 'scale', value: 1e6 }]);
entries.push(['billion', { type: 'scale', value: 1e9 }]);
entries.push(['double', { type: 'repeat', value: 2 }]);
entries.push(['triple', { type: 'repeat', value: 3 }]);
entries.push(['treble', { type: 'repeat', value: 3 }]);
entries.push(['quadruple', { type: 'repeat', value: 4 }]);

function tensValue(w: string): number {
  const order = ['twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
  return (order.indexOf(w === 'fourty' ? 'forty' : w) + 2) * 10;
}

/** Number words, lowercased. */
export const NUMBER_WORDS: ReadonlyMap<string, NumberWord> = new Map(entries);

/** Words that may sit between the digits of one spoken number ("five five five, uh, dash, one two"). */
export const GAP_WORDS: ReadonlySet<string> = new Set([
  'dash',
  'hyphen',
  'slash',
  'space',
  'uh',
  'um',
  'umm',
  'uhm',
  'er',
  'erm',
  'ah',
  'hmm',
]);

/** What a nearby word says a number is. */
export const CONTEXT = {
  card: 0,
  ssn: 1,
  cvv: 2,
  pin: 3,
  expiry: 4,
  id: 5,
} as const;
export type Context = (typeof CONTEXT)[keyof typeof CONTEXT];

const KEYWORDS: [string, Context][] = [];
const kw = (context: Context, ...phrases: string[]) => {
  for (const p of phrases) KEYWORDS.push([p, context]);
};
kw(CONTEXT.card, 'card', 'cards', 'visa', 'mastercard', 'amex', 'credit', 'debit', 'creditcard', 'cc', 'pan');
kw(CONTEXT.ssn, 'ssn', 'ssns', 'social', 'itin', 'ss', 'ss number', 'ss no', 'soc sec', 'taxpayer');
kw(
  CONTEXT.cvv,
  'cvv',
  'cvv2',
  'cvc',
  'cvc2',
  'cid',
  'csc',
  'cvn',
  'security code',
  'security number',
  'security digits',
  'card code',
  'cvv code',
  'digit code',
  'verification value',
  'card verification',
  'the back',
);
kw(
  CONTEXT.pin,
  'pin',
  'passcode',
  'password',
  'otp',
  'verification code',
  'access code',
  'auth code',
  'authorization code',
);
kw(
  CONTEXT.expiry,
  'exp',
  'expiry',
  'expires',
  'expire',
  'expired',
  'expiring',
  'expiration',
  'valid thru',
  'valid through',
  'valid until',
  'valid till',
  'good thru',
  'good through',
);
kw(
  CONTEXT.id,
  'passport',
  'license',
  'licence',
  'nino',
  'ni number',
  'ni no',
  'national insurance',
  'insurance number',
  'id number',
  'id no',
  'id card',
  'identity',
  'identification',
  'national id',
  'tax id',
  'tin',
  'tfn',
  'sin',
  'nhs',
  'medicare',
  'medicaid',
  'aadhaar',
  'aadhar',
  'dni',
  'nie',
  'nif',
  'pps',
  'ppsn',
  'bsn',
  'cpf',
  'curp',
  'rfc',
  'personnummer',
  'codice fiscale',
  'member id',
  'member number',
  'membership number',
  'policy number',
  'account number',
  'acct',
  'routing number',
  'sort code',
  'customer id',
  'patient id',
  'student id',
  'voter id',
  'permit number',
  'registration number',
);

/** Context keywords: one word, or two ("security code", keyed by both words with a space). */
export const KEYWORD_CONTEXT: ReadonlyMap<string, Context> = new Map(KEYWORDS);

/** Month names and abbreviations, for card expiry dates said as "August twenty-seven". */
export const MONTHS: ReadonlySet<string> = new Set(
  'january february march april may june july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec'.split(
    ' ',
  ),
);

/** Words after a number that make it an amount or a share, not an identifier. */
export const AMOUNT_WORDS: ReadonlySet<string> = new Set(
  'dollar dollars usd eur euro euros gbp pound pounds yen jpy rupee rupees inr cent cents buck bucks percent pesos peso'.split(
    ' ',
  ),
);
/** Currency signs before an amount. */
export const CURRENCY_SIGNS: ReadonlySet<string> = new Set([...'$€£¥₹₩₽₺₪¢₱₦₫฿']);

/** Words that stand for `@` when an address is spoken ("at", Spanish "arroba"). */
export const AT_WORDS: ReadonlySet<string> = new Set(['at', 'arroba']);
/** Words that stand for `.` in a spoken address. */
export const DOT_WORDS: ReadonlySet<string> = new Set(['dot', 'period', 'point', 'punto']);
/** Words joining the parts of a spoken address's local part ("mary underscore lee"). */
export const LOCAL_JOIN_WORDS: ReadonlySet<string> = new Set([
  'dot',
  'period',
  'point',
  'underscore',
  'dash',
  'hyphen',
  'plus',
]);
/** Top-level domains a spoken address may end with ("… dot com"). */
export const TLDS: ReadonlySet<string> = new Set(
  (
    'com net org edu gov mil int info biz io co ai app dev me email online xyz site tech store shop cloud ' +
    'name pro mobi museum jobs travel asia eu tv fm ly gg ' +
    'uk us ca au nz ie de fr es it nl be ch at se no dk fi pl pt br mx in jp cn ru za ar cl kr tw hk sg my ' +
    'ph id vn th tr gr cz hu ro il ae sa eg ng ke is lu li sk si hr rs bg ua lt lv ee ve pe uy'
  ).split(' '),
);
/** Mail providers callers name without a top-level domain ("jsmith at gmail"). */
export const PROVIDERS: ReadonlySet<string> = new Set(
  'gmail googlemail yahoo ymail hotmail outlook icloud aol protonmail proton gmx yandex zoho rediffmail comcast verizon sbcglobal'.split(
    ' ',
  ),
);
/**
 * Words that end a spoken address's local part when they come right before "at": "look at example.com",
 * "find us at acme.io" are not addresses.
 */
export const NOT_LOCAL: ReadonlySet<string> = new Set(
  (
    'a an the and or but is are am was were be been it its it’s this that these those there here me us you him her ' +
    'them we they i my our your look looking visit find found see go going check more details online available ' +
    'website site page located live living based work working home school office stay staying arrive arriving ' +
    'meet meeting email mail address e reach contact write send sent try call me at to from of in on by'
  ).split(' '),
);
