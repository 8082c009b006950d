/**
 * Personal data in the forms callers, LLMs and tools produce it: emails, phone numbers, payment card
 * numbers, US SSNs and IBANs, written and spoken, in many national formats. Each item says what must
 * never appear on an exported span (`secrets`) and which digits must not survive (`digits`).
 */

export type PiiKind = 'email' | 'phone' | 'card' | 'ssn' | 'iban';

export interface PiiItem {
  kind: PiiKind;
  /** As it appears in text. */
  value: string;
  /** Strings that must not appear on any span (compared case-insensitively). */
  secrets: string[];
  /** The number's digits: no run of 6 of them may survive in content attributes. Empty for emails. */
  digits: string;
}

const digitsOf = (s: string) => s.replace(/\D/g, '');

function email(value: string, ...parts: string[]): PiiItem {
  return { kind: 'email', value, secrets: [value, ...parts], digits: '' };
}

function numeric(kind: PiiKind, value: string, ...also: string[]): PiiItem {
  const digits = digitsOf(value);
  return { kind, value, secrets: [value, ...(digits.length >= 6 ? [digits] : []), ...also], digits };
}

/** A number read out digit by digit, as speech-to-text often writes it. */
function spoken(kind: PiiKind, digits: string, separator = ' '): PiiItem {
  const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
  const value = [...digits].map((d) => words[Number(d)]).join(separator);
  return { kind, value, secrets: [value, digits], digits };
}

export const PII_CORPUS: readonly PiiItem[] = [
  // Emails.
  email('john.doe@example.com', 'john.doe', 'example.com'),
  email('Jane+billing@sub.example.co.uk', 'jane+billing', 'sub.example.co.uk'),
  email('ALICE_99@EXAMPLE.ORG', 'alice_99'),
  email('a-b.c@mail-server.io', 'mail-server.io'),
  email("o'brien@example.ie", 'example.ie'),
  email('first.last@company.museum', 'first.last', 'company.museum'),
  email('josé.garcía@correo.es', 'josé.garcía', 'correo.es'),
  email('müller@bücher.de', 'müller', 'bücher.de'),
  email('mailto:support@acme-corp.com', 'acme-corp.com'),
  email('john dot doe at gmail dot com', 'john dot doe', 'doe at gmail'),
  email('jsmith at outlook dot com', 'jsmith at outlook'),
  email('mary underscore lee at yahoo dot co dot uk', 'mary underscore lee', 'lee at yahoo'),
  // Phone numbers.
  numeric('phone', '(415) 555-2671'),
  numeric('phone', '415-555-2671'),
  numeric('phone', '415.555.2671'),
  numeric('phone', '4155552671'),
  numeric('phone', '+1 415 555 2671'),
  numeric('phone', '+1-415-555-2671'),
  numeric('phone', '+14155552671'),
  numeric('phone', '1-800-555-0199'),
  numeric('phone', '+44 20 7946 0958'),
  numeric('phone', '020 7946 0958'),
  numeric('phone', '+44 7700 900123'),
  numeric('phone', '+33 1 23 45 67 89'),
  numeric('phone', '01 23 45 67 89'),
  numeric('phone', '+49 30 12345678'),
  numeric('phone', '+91 98765 43210'),
  numeric('phone', '+81 3-1234-5678'),
  numeric('phone', '555-0199'),
  numeric('phone', '415-555-2671 ext 89'),
  spoken('phone', '4155552671'),
  spoken('phone', '4155552671', ', '),
  // US social security numbers.
  numeric('ssn', '123-45-6789'),
  numeric('ssn', '123 45 6789'),
  numeric('ssn', '123.45.6789'),
  numeric('ssn', 'SSN 123456789'),
  numeric('ssn', 'social security number is 987654321'),
  spoken('ssn', '123456789'),
  // Payment card numbers (test numbers; all pass the Luhn check).
  numeric('card', '4111 1111 1111 1111'),
  numeric('card', '4111-1111-1111-1111'),
  numeric('card', '4111111111111111'),
  numeric('card', '4111.1111.1111.1111'),
  numeric('card', '5555 5555 5555 4444'),
  numeric('card', '3782 822463 10005'),
  numeric('card', '6011 1111 1111 1117'),
  numeric('card', '30569309025904'),
  numeric('card', '4012888888881881'),
  spoken('card', '4111111111111111'),
  // IBANs (valid check digits).
  numeric('iban', 'DE89 3704 0044 0532 0130 00', 'DE89370400440532013000'),
  numeric('iban', 'DE89370400440532013000'),
  numeric('iban', 'de89 3704 0044 0532 0130 00', 'DE89370400440532013000'),
  numeric('iban', 'DE89-3704-0044-0532-0130-00', 'DE89370400440532013000'),
  numeric('iban', 'GB82 WEST 1234 5698 7654 32', 'GB82WEST12345698765432'),
  numeric('iban', 'GB82WEST12345698765432'),
  numeric('iban', 'FR14 2004 1010 0505 0001 3M02 606', 'FR1420041010050500013M02606'),
  numeric('iban', 'NL91ABNA0417164300'),
  numeric('iban', 'ES91 2100 0418 4502 0005 1332', 'ES9121000418450200051332'),
  numeric('iban', 'CH93 0076 2011 6238 5295 7', 'CH9300762011623852957'),
];

/** Sentences around an item, as a caller, an LLM or a tool would put it. */
export const SAY = {
  caller: (v: string) => `sure, it's ${v}, thanks`,
  llm: (v: string) => `I have ${v} on file, is that right?`,
  arguments: (v: string) => ({ lookup: v, note: `caller gave ${v}` }),
  result: (v: string) => ({ found: true, record: { contact: v } }),
  error: (v: string) => `no account matches ${v}`,
};

/** Numbers as written: digits, possibly grouped by spaces, dashes, dots, parentheses or a plus. */
const NUMBER_RUN = /\d(?:[ ().+-]*\d)*/g;

/**
 * The leaks of one item in exported span text: secrets anywhere, and (in content, which carries no ids
 * or timestamps) a written number holding six of its digits in a row.
 */
export function leaksOf(item: PiiItem, everything: string, content: string): string[] {
  const found: string[] = [];
  const all = everything.toLowerCase();
  for (const s of item.secrets) if (all.includes(s.toLowerCase())) found.push(s);
  if (item.digits.length >= 6) {
    const runs = (content.match(NUMBER_RUN) ?? []).map(digitsOf);
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
