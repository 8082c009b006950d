/**
 * fast-check arbitraries for hostile payloads: a JSON document with some of its values replaced by
 * the worst of their kind (wrong types, huge or negative numbers, long or odd strings, deep nesting,
 * keys removed), or something else entirely (any JSON, random bytes, cut-off text).
 */
import fc from 'fast-check';

type Json = unknown;
type Path = (string | number)[];

/** Every path into a JSON value (objects and arrays), the root excluded. */
export function paths(value: Json, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((k) => {
    const p = [...prefix, k];
    return [p, ...paths((value as Record<string | number, Json>)[k], p)];
  });
}

/**
 * A deep copy that keeps what `structuredClone` or JSON would not: a `__proto__` own key stays a key.
 * Values are copied in, so no two places of a document (or two runs) share an object.
 */
function copy(value: Json): Json {
  if (Array.isArray(value)) return value.map(copy);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, Json> = {};
  for (const k of Object.keys(value))
    Object.defineProperty(out, k, {
      value: copy((value as Record<string, Json>)[k]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

/** Values that break naive parsers and converters. */
export const evilValue: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    null,
    true,
    0,
    -1,
    -0.5,
    1e21,
    -1e21,
    Number.MAX_SAFE_INTEGER,
    2 ** 64,
    8.64e15 + 1,
    '',
    ' ',
    'NaN',
    'Infinity',
    '-1',
    '1e400',
    '0x10',
    '2026-13-45T99:99:99Z',
    '__proto__',
    'constructor',
    '\u0000',
    '\ud800',
    '😀'.repeat(50),
    'x'.repeat(20_000),
    [],
    {},
    [[[[[[[[]]]]]]]],
    JSON.parse('{"__proto__":{"polluted":true}}'),
  ),
  fc.double(),
  fc.string({ maxLength: 40 }),
);

/** Deeply nested JSON: 5 000 levels of arrays or objects. */
export const deepJson = fc.constantFrom(
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`,
);

/** `base` with up to `max` values replaced or removed. */
export function mutated(base: Json, max = 6, extra?: fc.Arbitrary<Json>): fc.Arbitrary<Json> {
  const value = extra ? fc.oneof(evilValue, extra) : evilValue;
  return fc
    .array(fc.record({ at: fc.nat(), op: fc.constantFrom('set', 'set', 'set', 'delete'), value }), {
      maxLength: max,
    })
    .map((edits) => {
      const root = { v: structuredClone(base) } as Record<string, Json>;
      for (const e of edits) {
        const current = paths(root.v).map((p) => ['v', ...p]);
        if (current.length === 0) break;
        const path = current[e.at % current.length]!;
        const parent = path
          .slice(0, -1)
          .reduce<Json>((o, k) => (o as Record<string | number, Json>)[k], root) as
          Record<string | number, Json> | Json[];
        const key = path.at(-1)!;
        if (e.op === 'delete') {
          if (Array.isArray(parent)) parent.splice(Number(key), 1);
          else delete (parent as Record<string | number, Json>)[key];
        } else (parent as Record<string | number, Json>)[key] = copy(e.value);
      }
      return root.v;
    });
}

/** What arrives on the wire: the document as JSON, sometimes cut short or with bytes appended. */
export function wire(document: fc.Arbitrary<Json>): fc.Arbitrary<Uint8Array<ArrayBuffer>> {
  return fc.oneof(
    {
      weight: 8,
      arbitrary: document.map((d) => new TextEncoder().encode(JSON.stringify(d) ?? 'undefined')),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(document, fc.nat(), fc.uint8Array({ maxLength: 8 })).map(([d, cut, noise]) => {
        const bytes = new TextEncoder().encode(JSON.stringify(d) ?? '');
        const kept = bytes.slice(0, cut % (bytes.length + 1));
        const out = new Uint8Array(kept.length + noise.length);
        out.set(kept);
        out.set(noise, kept.length);
        return out;
      }),
    },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.uint8Array({ maxLength: 64 }).map((b) => new Uint8Array(b)),
        deepJson.map((t) => new TextEncoder().encode(t)),
      ),
    },
    { weight: 1, arbitrary: fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v))) },
  );
}
