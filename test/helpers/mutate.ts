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

/** A thrown value that cannot be printed: its `toString`, `valueOf` and `Symbol.toPrimitive` throw. */
function unprintable(): object {
  const boom = () => {
    throw unprintableError;
  };
  return { toString: boom, valueOf: boom, [Symbol.toPrimitive]: boom, toJSON: boom };
}
const unprintableError = { toString: () => 'not a string' } as unknown;

/** A proxy whose every trap throws `thrown()`. */
function throwingProxy(target: object, thrown: () => unknown): object {
  const trap = () => {
    throw thrown();
  };
  return new Proxy(target, {
    get: trap,
    has: trap,
    ownKeys: trap,
    getOwnPropertyDescriptor: trap,
    getPrototypeOf: trap,
    set: trap,
    defineProperty: trap,
    deleteProperty: trap,
    apply: trap,
  });
}

/**
 * A hostile value, made when the test asks for it: fast-check never holds it (it would probe a proxy),
 * and each run gets its own (a circular object is not shared between runs).
 */
export interface Hostile {
  make(): unknown;
}

const hostile = (make: () => unknown): Hostile => ({ make });

/**
 * Values that no JSON parser produces: proxies that throw on any access (an `Error`, or a value that
 * cannot even be printed), a revoked proxy, getters that throw, circular and frozen objects, symbols,
 * BigInt, functions, a 1 MB string, objects without a prototype, Map and Set, and `fc.anything()` with
 * every option on.
 */
export const hostileValue: fc.Arbitrary<Hostile> = fc.oneof(
  fc
    .constantFrom<(() => unknown)[]>(
      () => throwingProxy({}, () => new Error('proxy trap')),
      () => throwingProxy({}, unprintable),
      () => throwingProxy([], () => new Error('array proxy trap')),
      () => throwingProxy(() => {}, unprintable),
      () => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      },
      () =>
        Object.defineProperties(
          {},
          Object.fromEntries(
            ['type', 'at', 'id', 'message', 'call', 'event', 'data', 'transcript', 'attributes'].map((k) => [
              k,
              {
                enumerable: true,
                get() {
                  throw unprintable();
                },
              },
            ]),
          ),
        ),
      () => {
        const o: Record<string, unknown> = { type: 'user.speech.started', at: 1 };
        o.self = o;
        o.attributes = o;
        o.message = o;
        return o;
      },
      () => Object.freeze({ type: 'stt.final', at: 1, transcript: Object.freeze(['frozen']) }),
      () => Object.freeze([Object.freeze({ message: Object.freeze({}) })]),
      () => unprintable(),
      () => Symbol('hostile'),
      () => 10n ** 30n,
      () => () => 'a function',
      () => 'x'.repeat(1 << 20),
      () => Object.assign(Object.create(null) as object, { type: 'llm.started', at: 5 }),
      () => new Map([['type', 'tts.started']]),
      () => new Set([1, 2, 3]),
      () => new Date(Number.NaN),
      () => NaN,
      () => -Infinity,
    )
    .map(hostile),
  fc
    .anything({
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
      maxDepth: 3,
    })
    .map((v) => hostile(() => v)),
  fc.string().map((s) => hostile(() => Symbol(s))),
  fc.bigInt().map((b) => hostile(() => b)),
);

/** A deep copy of plain objects and arrays; anything else (a function the payload carries) is kept. */
function copyPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyPlain);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyPlain(v)]));
}

/**
 * `base` (a valid payload) with up to `max` of its values replaced by {@link hostileValue}s, planted as
 * they are (a proxy stays a proxy), or a hostile value instead of the whole payload.
 */
export function withHostile(base: unknown, max = 3): fc.Arbitrary<Hostile> {
  return fc.oneof(
    { weight: 1, arbitrary: hostileValue },
    {
      weight: 3,
      arbitrary: fc
        .array(fc.record({ at: fc.nat(), value: hostileValue }), { minLength: 1, maxLength: max })
        .map((edits) =>
          hostile(() => {
            const root = { v: copyPlain(base) } as Record<string, Json>;
            const places = [['v'] as Path, ...paths(root.v).map((p) => ['v', ...p] as Path)];
            for (const e of edits) {
              const path = places[e.at % places.length]!;
              // A value planted earlier may be on the way, hostile itself: then this edit has nowhere to go.
              try {
                const parent = path
                  .slice(0, -1)
                  .reduce<Json>((o, k) => (o as Record<string | number, Json>)[k], root) as Record<
                  string | number,
                  unknown
                >;
                parent[path.at(-1)!] = e.value.make();
              } catch {
                // Left as it is.
              }
            }
            return root.v;
          }),
        ),
    },
  );
}
