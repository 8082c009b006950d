/**
 * JSON text of a value, stopping once `max` characters are written: a tool's 50 MB result costs what
 * its first few kilobytes cost, on the agent's stack. Output matches `JSON.stringify` up to the cut
 * (`toJSON` honoured, `undefined` and functions left out of objects and `null` in arrays), except that
 * what `JSON.stringify` refuses is written anyway: a cycle as `"[Circular]"`, a bigint as its digits,
 * a throwing getter or `toJSON` as `"[Unserializable]"`. Never throws.
 */

const MAX_DEPTH = 64;

/** JSON text of `value`, cut at about `max` characters (the caller caps exactly). */
export function boundedJson(value: unknown, max: number): string {
  const parts: string[] = [];
  let length = 0;
  const stack: object[] = [];
  const put = (s: string) => {
    parts.push(s);
    length += s.length;
  };
  const full = () => length >= max;

  const write = (v: unknown, depth: number): boolean => {
    if (full()) return true;
    try {
      if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function')
        v = (v as { toJSON: () => unknown }).toJSON();
    } catch {
      put('"[Unserializable]"');
      return true;
    }
    switch (typeof v) {
      case 'string':
        // Only what can still be shown is escaped (a huge string costs a slice).
        put(JSON.stringify(v.length > max - length ? v.slice(0, Math.max(0, max - length)) : v));
        return true;
      case 'number':
        put(Number.isFinite(v) ? String(v) : 'null');
        return true;
      case 'boolean':
        put(String(v));
        return true;
      case 'bigint':
        put(String(v));
        return true;
      case 'object':
        break;
      default:
        return false; // undefined, function, symbol: left out
    }
    if (v === null) {
      put('null');
      return true;
    }
    if (stack.includes(v) || depth >= MAX_DEPTH) {
      put('"[Circular]"');
      return true;
    }
    stack.push(v);
    try {
      if (Array.isArray(v)) {
        put('[');
        for (let i = 0; i < v.length && !full(); i++) {
          if (i > 0) put(',');
          if (!write(v[i], depth + 1)) put('null');
        }
        put(']');
      } else {
        put('{');
        let first = true;
        for (const key of Object.keys(v)) {
          if (full()) break;
          const mark = parts.length;
          const before = length;
          put(`${first ? '' : ','}${JSON.stringify(key.length > max ? key.slice(0, max) : key)}:`);
          let item: unknown;
          try {
            item = (v as Record<string, unknown>)[key];
          } catch {
            item = '[Unserializable]';
          }
          if (write(item, depth + 1)) first = false;
          else {
            parts.length = mark;
            length = before;
          }
        }
        put('}');
      }
    } finally {
      stack.pop();
    }
    return true;
  };

  try {
    if (!write(value, 0)) return String(value);
  } catch {
    return '"[Unserializable]"';
  }
  return parts.join('');
}
